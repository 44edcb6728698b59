package io.lmaas.worker.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.starter.SyntheticTopics;
import io.lmaas.worker.testing.TrainedStarters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning the starter models: a new label set, servable checkpoints, resuming, cancelling, a language model. */
class FineTuningTest {

    @Test
    void aClassifierLearnsNewLabelsEachCheckpointServesAndARunResumes(@TempDir Path tmp) throws IOException {
        List<SyntheticTopics.Example> train = SyntheticTopics.novelExamples(600, 1);
        List<SyntheticTopics.Example> valid = SyntheticTopics.novelExamples(150, 2);
        List<String> labels = List.of("cooking", "music", "travel");
        Recorded first = new Recorded();
        FineTuning.Outcome two = FineTuning.classifier(TrainedStarters.classifier(), null, texts(train), labels(train), texts(valid),
                labels(valid), labels, new FineTuning.Plan(0, 2, 16, 1e-3f, 7), tmp.resolve("ckpt"), () -> false, first);
        assertThat(two.completed()).isTrue();
        assertThat(first.checkpoints()).extracting(p -> p.getFileName().toString()).containsExactly("epoch-1", "epoch-2");
        assertThat(first.epochs().get(1).trainLoss()).isLessThan(first.epochs().get(0).trainLoss());
        assertThat(first.epochs().get(1).accuracy()).isGreaterThan(0.8);

        // The checkpoint is a servable model version with the new labels.
        try (ClassifierRuntime served = (ClassifierRuntime) ModelRuntime.load(two.lastCheckpoint())) {
            assertThat(served.properties().labels()).containsExactlyElementsOf(labels);
            Classification c = served.classify(List.of("the pastry cook baked a lemon tart until golden brown")).get(0);
            assertThat(c.label()).isEqualTo("cooking");
        }

        // Resume from epoch 2 for a third: it starts where the checkpoint left off (already accurate).
        Recorded resumed = new Recorded();
        FineTuning.Outcome three = FineTuning.classifier(TrainedStarters.classifier(), two.lastCheckpoint(), texts(train), labels(train),
                texts(valid), labels(valid), labels, new FineTuning.Plan(2, 3, 16, 1e-3f, 7), tmp.resolve("ckpt"), () -> false, resumed);
        assertThat(resumed.checkpoints()).extracting(p -> p.getFileName().toString()).containsExactly("epoch-3");
        assertThat(resumed.epochs().get(0).accuracy()).isGreaterThan(0.8);
        assertThat(three.steps()).isEqualTo(3 * 38);

        // Cancelled: stops at the next step, writes nothing more.
        AtomicInteger calls = new AtomicInteger();
        FineTuning.Outcome cancelled = FineTuning.classifier(TrainedStarters.classifier(), null, texts(train), labels(train),
                texts(valid), labels(valid), labels, new FineTuning.Plan(0, 2, 16, 1e-3f, 7), tmp.resolve("cancelled"),
                () -> calls.incrementAndGet() > 5, new Recorded());
        assertThat(cancelled.completed()).isFalse();
        assertThat(tmp.resolve("cancelled")).doesNotExist();
    }

    @Test
    void aLanguageModelContinuesTrainingAndStaysServable(@TempDir Path tmp) throws IOException {
        List<String> docs = new ArrayList<>();
        for (SyntheticTopics.Example e : SyntheticTopics.novelExamples(200, 3)) {
            docs.add(e.text());
        }
        Recorded r = new Recorded();
        FineTuning.Outcome o = FineTuning.languageModel(TrainedStarters.generator(), null, docs, docs.subList(0, 40),
                new FineTuning.Plan(0, 2, 8, 2e-3f, 5), tmp.resolve("ckpt"), () -> false, r);
        assertThat(o.completed()).isTrue();
        assertThat(r.epochs()).hasSize(2);
        assertThat(r.epochs().get(1).validLoss()).isLessThan(r.epochs().get(0).validLoss() + 0.5);
        assertThat(ServingProperties.read(o.lastCheckpoint()).task()).isEqualTo(ServingProperties.GENERATION);
        try (GeneratorRuntime g = (GeneratorRuntime) ModelRuntime.load(o.lastCheckpoint())) {
            assertThat(g.tokenizer().encode("the chef baked")).isNotEmpty();
        }
    }

    private static List<String> texts(List<SyntheticTopics.Example> examples) {
        return examples.stream().map(SyntheticTopics.Example::text).toList();
    }

    private static List<String> labels(List<SyntheticTopics.Example> examples) {
        return examples.stream().map(SyntheticTopics.Example::label).toList();
    }
}
