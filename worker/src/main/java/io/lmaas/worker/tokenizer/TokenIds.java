package io.lmaas.worker.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.lang.reflect.Field;
import java.util.Locale;

/**
 * A text's token ids, and only them, from a DJL tokenizer. DJL's {@code encode} copies nine arrays out of the native
 * encoding (ids, type ids, token strings, word ids, sequence ids, masks, character spans, overflow) where a forward pass
 * needs the ids alone: for a sentence of ten tokens the copies cost as much as the tokenization itself. This asks the
 * native library for the ids and frees the encoding. It applies only to a tokenizer whose Java-side preparation of the
 * text is none (no prefix space added, no lower-casing, no accent stripping: what DJL does before the native call);
 * any other tokenizer goes through DJL's {@code encode}, so the ids are the same either way.
 */
public final class TokenIds {
    private final HuggingFaceTokenizer tokenizer;
    private final boolean direct;
    private final boolean addSpecialTokens;

    public TokenIds(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        Boolean special = null;
        try {
            special = field(tokenizer, "addSpecialTokens", Boolean.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // another DJL: DJL's encode, below
        }
        this.addSpecialTokens = special != null && special;
        this.direct = special != null && preparesNothing(tokenizer);
    }

    /** The ids of {@code text}, special tokens as the tokenizer's options say. */
    public long[] of(String text) {
        if (!direct) {
            return tokenizer.encode(text).getIds();
        }
        long handle = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
        try {
            return TokenizersLibrary.LIB.getTokenIds(handle);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(handle);
        }
    }

    /** Whether the ids come straight from the native encoding (for tests). */
    boolean direct() {
        return direct;
    }

    /** Whether DJL hands the text to the native tokenizer unchanged; false when that cannot be read (another DJL). */
    static boolean preparesNothing(HuggingFaceTokenizer tokenizer) {
        try {
            return !field(tokenizer, "addPrefixSpace", Boolean.class) && field(tokenizer, "doLowerCase", Locale.class) == null
                    && !field(tokenizer, "stripAccents", Boolean.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static <T> T field(HuggingFaceTokenizer tokenizer, String name, Class<T> type) throws ReflectiveOperationException {
        Field f = HuggingFaceTokenizer.class.getDeclaredField(name);
        f.setAccessible(true);
        return type.cast(f.get(tokenizer));
    }
}
