package io.lmaas.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.worker.starter.SyntheticTopics;
import io.lmaas.worker.testing.TrainedStarters;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServingObserver;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The starter models as the platform trains them, served by the worker's runtimes (real DJL/PyTorch). */
class StarterModelsTest {
    private static ClassifierRuntime classifier;
    private static GeneratorRuntime runtime;
    private static GenerationEngine generator;

    @BeforeAll
    static void load() {
        classifier = (ClassifierRuntime) ModelRuntime.load(TrainedStarters.classifier());
        runtime = (GeneratorRuntime) ModelRuntime.load(TrainedStarters.generator());
        generator = new GenerationEngine(runtime, 8, 64, ServingObserver.NONE);
    }

    @AfterAll
    static void close() {
        classifier.close();
        generator.close();
        runtime.close();
    }

    private static Generation generate(GenerationRequest r) {
        return generator.submit(r).join();
    }

    @Test
    void classifierIsAccurateOnHeldOutSentences() {
        Set<String> seen = new HashSet<>();
        SyntheticTopics.examples(4000, 42).forEach(e -> seen.add(e.text()));
        List<SyntheticTopics.Example> heldOut = SyntheticTopics.examples(600, 7).stream()
                .filter(e -> !seen.contains(e.text())).toList();
        assertThat(heldOut).hasSizeGreaterThan(300);
        int correct = 0;
        for (int from = 0; from < heldOut.size(); from += 50) {
            List<SyntheticTopics.Example> batch = heldOut.subList(from, Math.min(heldOut.size(), from + 50));
            List<Classification> results = classifier.classify(batch.stream().map(SyntheticTopics.Example::text).toList());
            for (int i = 0; i < batch.size(); i++) {
                if (results.get(i).label().equals(batch.get(i).label())) {
                    correct++;
                }
            }
        }
        assertThat((double) correct / heldOut.size()).isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void classificationScoresAreAProbabilityDistributionAndBatchingDoesNotChangeThem() {
        Classification alone = classifier.classify(List.of("heavy rain flooded the harbor")).get(0);
        Classification batched = classifier.classify(List.of("the striker scored", "heavy rain flooded the harbor",
                "investors bought the dividend after the earnings call and sold share prices")).get(1);
        assertThat(alone.label()).isEqualTo("weather");
        assertThat(alone.scores().values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0,
                org.assertj.core.data.Offset.offset(1e-4));
        alone.scores().forEach((label, p) -> assertThat(batched.scores().get(label)).isCloseTo(p,
                org.assertj.core.data.Offset.offset(1e-4)));
        assertThat(alone.tokens()).isPositive();
    }

    @Test
    void trainingReportRecordsFallingLossAndAccuracy() throws Exception {
        JsonObject report = new JsonObject(Files.readString(TrainedStarters.classifier().resolve("training.json")));
        List<Object> loss = report.getJsonArray("epoch_loss").getList();
        assertThat(((Number) loss.get(loss.size() - 1)).doubleValue()).isLessThan(((Number) loss.get(0)).doubleValue());
        assertThat(report.getDouble("validation_accuracy")).isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void greedyGenerationIsDeterministicAndFollowsThePrompt() {
        Generation sports = generate(new GenerationRequest("the striker", 12, 0, 1));
        Generation again = generate(new GenerationRequest("the striker", 12, 0, 99));
        Generation weather = generate(new GenerationRequest("the storm", 12, 0, 1));
        assertThat(sports.text()).isNotBlank().isEqualTo(again.text());
        assertThat(weather.text()).isNotBlank().isNotEqualTo(sports.text());
        assertThat(sports.promptTokens()).isPositive();
        assertThat(sports.completionTokens()).isBetween(1, 12);
    }

    @Test
    void sameSeedSameTextAndFinishReasons() {
        Generation a = generate(new GenerationRequest("investors", 20, 0.9, 1234));
        Generation b = generate(new GenerationRequest("investors", 20, 0.9, 1234));
        assertThat(a).isEqualTo(b);
        Generation shortOne = generate(new GenerationRequest("the coach", 3, 0, 0));
        assertThat(shortOne.finishReason()).isEqualTo("length");
        assertThat(shortOne.completionTokens()).isEqualTo(3);
        Generation longOne = generate(new GenerationRequest("the coach", 200, 0, 0));
        assertThat(longOne.finishReason()).isEqualTo("stop");
        assertThat(longOne.completionTokens()).isLessThan(200);
    }

    @Test
    void chineseArabicAndEmojiAreClassifiedAndGeneratedWithoutUnknownTokens() {
        List<String> texts = List.of("大模型即服务为文本分类提供支持", "مرحبا بالعالم", "🚀🔥👨‍👩‍👧", "the striker 进球了");
        List<Classification> results = classifier.classify(texts);
        assertThat(results).hasSize(4).allSatisfy(r -> {
            assertThat(SyntheticTopics.LABELS).contains(r.label());
            assertThat(r.tokens()).isPositive();
        });
        for (String t : texts) {
            assertThat(runtime.tokenizer().decode(runtime.tokenizer().encode(t))).isEqualTo(t);
        }
        Generation g = generate(new GenerationRequest("大模型即服务 🚀 مرحبا", 6, 0.8, 5));
        assertThat(g.completionTokens()).isPositive();
    }

    @Test
    void continuousBatchingGivesTheSameTextAsOneSequenceAlone() throws Exception {
        List<String> prompts = List.of("the striker", "the storm", "investors", "the startup", "heavy rain", "the coach");
        List<Generation> alone = new java.util.ArrayList<>();
        for (String p : prompts) {
            alone.add(generate(new GenerationRequest(p, 30, 0, 0)));
        }
        List<java.util.concurrent.CompletableFuture<Generation>> together = new java.util.ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            // Staggered arrivals: sequences join a batch that is already running.
            together.add(generator.submit(new GenerationRequest(prompts.get(i), 30, 0, 0)));
            Thread.sleep(3);
        }
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(together.get(i).get().text()).as(prompts.get(i)).isEqualTo(alone.get(i).text());
        }
    }

    @Test
    void stopStringsEndTheTextAndSamplingOptionsApply() {
        Generation free = generate(new GenerationRequest("the storm", 40, 0, 0));
        // The stop string is what the model said first (whether or not it starts with a space): derived from its answer,
        // never from what a freshly trained model is expected to say.
        assertThat(free.text()).isNotEmpty();
        String opening = free.text().substring(0, Math.min(3, free.text().length()));
        Generation stopped = generate(new GenerationRequest("the storm", 40, 0, 1.0, 0, List.of(opening), 0));
        assertThat(stopped.finishReason()).isEqualTo("stop");
        assertThat(stopped.text()).isEmpty();
        Generation period = generate(new GenerationRequest("the storm", 60, 0, 1.0, 0, List.of("."), 0));
        assertThat(period.text()).doesNotContain(".");
        assertThat(free.text()).startsWith(period.text());
        Generation topK1 = generate(new GenerationRequest("the storm", 12, 1.5, 1.0, 1, List.of(), 99));
        Generation greedy = generate(new GenerationRequest("the storm", 12, 0, 0));
        assertThat(topK1.text()).isEqualTo(greedy.text());
        Generation nucleus = generate(new GenerationRequest("the storm", 12, 1.0, 0.9, 0, List.of(), 3));
        assertThat(nucleus).isEqualTo(generate(new GenerationRequest("the storm", 12, 1.0, 0.9, 0, List.of(), 3)));
    }

    @Test
    void anyLanguageIsAcceptedAndTheWindowSlidesPastTheContext() {
        Generation chinese = generate(new GenerationRequest("大模型即服务 🚀 مرحبا", 5, 0, 0));
        assertThat(chinese.promptTokens()).isGreaterThan(5);
        assertThat(chinese.completionTokens()).isPositive();
        String longPrompt = "the storm battered the harbor. ".repeat(30);
        Generation slid = generate(new GenerationRequest(longPrompt, 8, 0, 0));
        assertThat(slid.promptTokens()).isGreaterThan(runtime.maxLength());
        // The prompt fills the window, so from the second token on the cache keeps the newest half of it.
        assertThat(slid.completionTokens()).isGreaterThan(1);
    }
}
