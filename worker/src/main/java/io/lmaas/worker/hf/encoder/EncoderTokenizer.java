package io.lmaas.worker.hf.encoder;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.InputTooLong;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.lmaas.worker.tokenizer.TokenIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An encoder's {@code tokenizer.json} as the model was trained with it: special tokens added ({@code [CLS] … [SEP]},
 * {@code <s> … </s>}), no padding (the runtime pads per batch). An input longer than the model takes is refused, or, on
 * request, cut by the tokenizer's own truncation (which keeps the closing special token). Thread-safe.
 */
public final class EncoderTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer whole;
    private final HuggingFaceTokenizer truncating;
    private final TokenIds wholeIds;
    private final TokenIds truncatingIds;
    private final int maxTokens;
    private final int vocab;

    private EncoderTokenizer(HuggingFaceTokenizer whole, HuggingFaceTokenizer truncating, int maxTokens, int vocab) {
        this.whole = whole;
        this.truncating = truncating;
        this.wholeIds = new TokenIds(whole);
        this.truncatingIds = new TokenIds(truncating);
        this.maxTokens = maxTokens;
        this.vocab = vocab;
    }

    /** Loads {@code tokenizer.json}, checked to fit a vocabulary of {@code vocab} ids. */
    public static EncoderTokenizer load(Path directory, int maxTokens, int vocab) {
        Path file = directory.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelDirectoryException("tokenizer.json: missing (an encoder needs the fast tokenizer's tokenizer.json)");
        }
        long largest;
        try {
            largest = TextTokenizer.largestId(new JsonObject(Artifacts.readString(file)));
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException("tokenizer.json: not a readable tokenizer (" + e.getMessage() + ")", e);
        }
        if (largest >= vocab) {
            throw new ModelDirectoryException("tokenizer.json: token id " + largest + " is outside the model's vocabulary of "
                    + vocab + " (config.json vocab_size): the tokenizer does not belong to these weights");
        }
        HuggingFaceTokenizer whole = null;
        try {
            whole = TextTokenizer.open(file, java.util.Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
            HuggingFaceTokenizer truncating = TextTokenizer.open(file, java.util.Map.of("addSpecialTokens", "true",
                    "truncation", "true", "maxLength", Integer.toString(maxTokens), "padding", "false"));
            return new EncoderTokenizer(whole, truncating, maxTokens, vocab);
        } catch (IOException | RuntimeException e) {
            if (whole != null) {
                whole.close();
            }
            throw new ModelDirectoryException("tokenizer.json: cannot be loaded (" + e.getMessage() + ")", e);
        }
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Tokenises {@code text}: refused when empty, or when too long unless {@code truncate}. */
    public Encoded encode(String text, boolean truncate) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an input must not be empty");
        }
        long[] ids = wholeIds.of(text);
        if (ids.length <= maxTokens) {
            return new Encoded(ids, ids.length);
        }
        if (!truncate) {
            throw new InputTooLong(0, ids.length, maxTokens);
        }
        return new Encoded(truncatingIds.of(text), ids.length);
    }

    /** One text's tokens as the model sees them (the ids {@link #encode} gives) and as text, for explanations. */
    public record Tokenized(long[] ids, String[] tokens, int count) {
    }

    /** Tokenises {@code text} as {@link #encode} does, keeping each token's text (special tokens included). */
    public Tokenized tokenized(String text, boolean truncate) {
        Encoded encoded = encode(text, truncate);
        ai.djl.huggingface.tokenizers.Encoding e = (encoded.length() == encoded.tokens() ? whole : truncating).encode(text);
        return new Tokenized(encoded.ids(), e.getTokens(), encoded.tokens());
    }

    /** Token ids given by the caller, taken as they are (special tokens included), checked against the vocabulary. */
    public Encoded ids(long[] ids, boolean truncate) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("an input must not be empty");
        }
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the model's vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        if (ids.length <= maxTokens) {
            return new Encoded(ids, ids.length);
        }
        if (!truncate) {
            throw new InputTooLong(0, ids.length, maxTokens);
        }
        return new Encoded(java.util.Arrays.copyOf(ids, maxTokens), ids.length);
    }

    @Override
    public void close() {
        whole.close();
        truncating.close();
    }
}
