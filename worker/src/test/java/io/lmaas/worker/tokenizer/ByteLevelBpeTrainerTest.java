package io.lmaas.worker.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteLevelBpeTrainerTest {
    private static final List<String> CORPUS = List.of(
            "the striker scored a late goal", "the storm flooded the coastal towns", "investors bought the dividend",
            "the striker scored again", "大模型即服务是一种基于云计算的架构", "文本分类和文本生成", "مرحبا بالعالم");

    @ParameterizedTest
    @ValueSource(strings = {
        "the striker scored a late goal",
        "大模型即服务（LMaaS）为文本分类和文本生成提供支持。",
        "مرحبا بالعالم، هذا اختبار",
        "emoji 🚀🔥 and flags 🇨🇳 and a family 👨‍👩‍👧",
        "mixed: Ünïcödé — 日本語 — русский — हिन्दी",
        "  leading spaces, tabs\tand\nnewlines  "
    })
    void everyUtf8TextRoundTripsThroughTheHuggingFaceTokenizer(String text, @TempDir Path dir) throws Exception {
        ByteLevelBpeTrainer.train(CORPUS, 400, List.of("<pad>")).write(dir.resolve("tokenizer.json"));
        try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
            long[] ids = tokenizer.encode(text);
            assertThat(ids).isNotEmpty();
            assertThat(tokenizer.decode(ids)).isEqualTo(text);
        }
    }

    @Test
    void learnsMergesSoFrequentWordsAreSingleTokens(@TempDir Path dir) throws Exception {
        ByteLevelBpeTrainer.Trained trained = ByteLevelBpeTrainer.train(CORPUS, 400, List.of("<pad>"));
        assertThat(trained.vocab()).hasSizeLessThanOrEqualTo(400).startsWith("<pad>");
        assertThat(trained.merges()).isNotEmpty();
        trained.write(dir.resolve("tokenizer.json"));
        try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
            assertThat(tokenizer.encode(" striker")).hasSize(1);
            assertThat(tokenizer.encode("<pad>")).containsExactly(0L);
        }
    }

    @Test
    void trainingIsDeterministic(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        ByteLevelBpeTrainer.train(CORPUS, 350, List.of("<|endoftext|>")).write(a);
        ByteLevelBpeTrainer.train(CORPUS, 350, List.of("<|endoftext|>")).write(b);
        assertThat(Files.readString(a)).isEqualTo(Files.readString(b));
    }
}
