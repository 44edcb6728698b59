package io.lmaas.worker.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.lmaas.worker.testing.HfModels;
import io.lmaas.worker.testing.NpmTokenizers;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ids taken straight from the native encoding are DJL's {@code encode} ids, for real tokenizers of every kind the
 * platform serves (WordPiece with a lower-casing normaliser, byte-level BPE, SentencePiece with byte fallback), with
 * special tokens on and off; a tokenizer DJL prepares text for in Java (lower-casing asked of DJL) keeps DJL's path.
 */
class TokenIdsTest {
    private static final List<String> TEXTS = List.of("the striker scored a late goal", "Stocks fell sharply on Tuesday.",
            "央行宣布降息", "今天的天气非常好，我们去公园", "🙂 🚀🚀", "naïve café résumé", "  leading and  double  spaces ",
            "C++ & Java: x<y && y>z", "2024-11-30T10:00:00Z", "ÀÉÎÕÜ ß ﬁ ①", "tab\tand\nnewline", "a", "Ünïcödé mixed 混合 text 😀");

    @Test
    void realTokenizersGiveDjlsIdsWithAndWithoutSpecialTokens(@TempDir Path tmp) throws Exception {
        List<Path> files = List.of(HfModels.jarResource(tmp, "all-minilm-l6-v2-tokenizer.json"),
                NpmTokenizers.models("llama3_1").resolve("tokenizer.json"), NpmTokenizers.models("qwen3").resolve("tokenizer.json"),
                NpmTokenizers.models("gemma3").resolve("tokenizer.json"), NpmTokenizers.models("llama2").resolve("tokenizer.json"));
        for (Path file : files) {
            for (String special : List.of("true", "false")) {
                try (HuggingFaceTokenizer t = TextTokenizer.open(file, Map.of("addSpecialTokens", special, "truncation", "false",
                        "padding", "false"))) {
                    TokenIds ids = new TokenIds(t);
                    assertThat(ids.direct()).as(file + " read directly").isTrue();
                    for (String text : TEXTS) {
                        assertThat(ids.of(text)).as(file + ", special tokens " + special + ": " + text).isEqualTo(t.encode(text).getIds());
                    }
                }
            }
        }
    }

    @Test
    void aTokenizerDjlPreparesTextForKeepsDjlsPath(@TempDir Path tmp) throws Exception {
        Path file = NpmTokenizers.models("llama3_1").resolve("tokenizer.json");
        try (HuggingFaceTokenizer t = TextTokenizer.open(file, Map.of("addSpecialTokens", "false", "doLowerCase", "true"))) {
            TokenIds ids = new TokenIds(t);
            assertThat(ids.direct()).isFalse();
            assertThat(ids.of("Stocks FELL")).isEqualTo(t.encode("stocks fell").getIds());
        }
    }
}
