package io.lmaas.worker.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.lmaas.core.crypto.Artifacts;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model version's {@code tokenizer.json}, loaded with DJL's Hugging Face tokenizers binding. Special
 * tokens are never added implicitly, nothing is truncated or padded here: the runtimes decide.
 * Thread-safe.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final TokenIds ids;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.ids = new TokenIds(tokenizer);
    }

    public static TextTokenizer load(Path tokenizerJson) throws IOException {
        return new TextTokenizer(open(tokenizerJson, java.util.Map.of("addSpecialTokens", "false", "truncation", "false",
                "padding", "false")));
    }

    /**
     * DJL's tokenizer for {@code tokenizerJson} with the builder's {@code options} ({@code addSpecialTokens},
     * {@code truncation}, {@code maxLength}, {@code padding}). A tenant's sealed file is decrypted in memory and handed
     * over as a stream, never written out in the clear.
     */
    public static HuggingFaceTokenizer open(Path tokenizerJson, java.util.Map<String, String> options) throws IOException {
        if (Artifacts.sealed(tokenizerJson)) {
            try (java.io.InputStream in = Artifacts.newInputStream(tokenizerJson)) {
                return HuggingFaceTokenizer.newInstance(in, options);
            }
        }
        return HuggingFaceTokenizer.newInstance(tokenizerJson, options);
    }

    /** The largest id a {@code tokenizer.json} can produce: its model's vocabulary (a map, or Unigram's list) and its added tokens. */
    public static long largestId(io.vertx.core.json.JsonObject tokenizer) {
        io.vertx.core.json.JsonObject model = tokenizer.getJsonObject("model", new io.vertx.core.json.JsonObject());
        Object vocab = model.getValue("vocab");
        long largest = -1;
        if (vocab instanceof io.vertx.core.json.JsonObject map) {
            for (var e : map) {
                largest = Math.max(largest, ((Number) e.getValue()).longValue());
            }
        } else if (vocab instanceof io.vertx.core.json.JsonArray pieces) {
            largest = pieces.size() - 1;
        }
        for (Object o : tokenizer.getJsonArray("added_tokens", new io.vertx.core.json.JsonArray())) {
            largest = Math.max(largest, ((io.vertx.core.json.JsonObject) o).getLong("id", -1L));
        }
        return largest;
    }

    public long[] encode(String text) {
        return ids.of(text); // special tokens off, as the tokenizer was opened
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
