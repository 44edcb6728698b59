package io.lmaas.worker.tokenizer;

import io.lmaas.core.crypto.Artifacts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Turns generated token ids into text one token at a time, without decoding the whole sequence again at
 * every step. For byte-level BPE tokenizers (the GPT-2 scheme) each id maps to bytes; bytes are decoded
 * as UTF-8 as soon as they form whole characters (special tokens are skipped), which is what the Hugging
 * Face decoder gives for the whole sequence. Other tokenizers fall back to decoding the sequence.
 */
public final class StreamDecoder {
    private final byte[][] bytesOf;
    private final Set<Integer> special;
    private final TextTokenizer fallback;

    private StreamDecoder(byte[][] bytesOf, Set<Integer> special, TextTokenizer fallback) {
        this.bytesOf = bytesOf;
        this.special = special;
        this.fallback = fallback;
    }

    public static StreamDecoder of(Path tokenizerJson, TextTokenizer tokenizer) {
        try {
            JsonObject json = new JsonObject(Artifacts.readString(tokenizerJson));
            JsonObject decoder = json.getJsonObject("decoder");
            JsonObject model = json.getJsonObject("model");
            if (decoder == null || !"ByteLevel".equals(decoder.getString("type")) || model == null
                    || !"BPE".equals(model.getString("type"))) {
                return new StreamDecoder(null, Set.of(), tokenizer);
            }
            Map<Character, Byte> charToByte = new HashMap<>();
            char[] map = ByteLevelBpeTrainer.byteToCharTable();
            for (int b = 0; b < 256; b++) {
                charToByte.put(map[b], (byte) b);
            }
            JsonObject vocab = model.getJsonObject("vocab");
            int size = 0;
            for (String k : vocab.fieldNames()) {
                size = Math.max(size, vocab.getInteger(k) + 1);
            }
            Set<Integer> special = new HashSet<>();
            for (Object o : json.getJsonArray("added_tokens", new JsonArray())) {
                JsonObject t = (JsonObject) o;
                size = Math.max(size, t.getInteger("id") + 1);
                if (t.getBoolean("special", false)) {
                    special.add(t.getInteger("id"));
                }
            }
            byte[][] bytesOf = new byte[size][];
            for (String token : vocab.fieldNames()) {
                byte[] b = new byte[token.length()];
                boolean ok = true;
                for (int i = 0; i < token.length(); i++) {
                    Byte v = charToByte.get(token.charAt(i));
                    if (v == null) {
                        ok = false;
                        break;
                    }
                    b[i] = v;
                }
                bytesOf[vocab.getInteger(token)] = ok ? b : token.getBytes(StandardCharsets.UTF_8);
            }
            return new StreamDecoder(bytesOf, special, tokenizer);
        } catch (IOException | RuntimeException e) {
            return new StreamDecoder(null, Set.of(), tokenizer);
        }
    }

    public Stream start() {
        return new Stream();
    }

    /** One sequence's text so far. Not thread-safe. */
    public final class Stream {
        private final StringBuilder text = new StringBuilder();
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(64);
        private long[] ids = new long[16];
        private int count;
        /** Decoding by the tokenizer: ids from prefixOffset are decoded again each step; up to readOffset they are emitted. */
        private int prefixOffset;
        private int readOffset;
        private String finished;

        /** Adds a token; returns the text so far (complete characters only). */
        public String add(long id) {
            if (count == ids.length) {
                ids = java.util.Arrays.copyOf(ids, count * 2);
            }
            ids[count++] = id;
            if (bytesOf == null) {
                return addByDecoding();
            }
            if (!special.contains((int) id) && id >= 0 && id < bytesOf.length && bytesOf[(int) id] != null) {
                byte[] b = bytesOf[(int) id];
                if (pending.remaining() < b.length) {
                    ByteBuffer bigger = ByteBuffer.allocate(pending.capacity() * 2 + b.length);
                    pending.flip();
                    bigger.put(pending);
                    pending = bigger;
                }
                pending.put(b);
                pending.flip();
                CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
                utf8.decode(pending, out, false);
                out.flip();
                text.append(out);
                pending.compact();
            }
            return text.toString();
        }

        /**
         * Tokenizers without a byte table (metaspace, byte fallback) are decoded by the tokenizer itself, over a short
         * window: the text of the ids since the last emission, against the text of the same window without the newest
         * ids (both decoded from the same start, so a leading-space rule applies to both alike). New text is emitted
         * only when it does not end in U+FFFD: a byte-fallback decoder turns a whole run of byte tokens into U+FFFD
         * while a character in it is incomplete, including characters it had already completed.
         */
        private String addByDecoding() {
            String prefix = fallback.decode(java.util.Arrays.copyOfRange(ids, prefixOffset, readOffset));
            String now = fallback.decode(java.util.Arrays.copyOfRange(ids, prefixOffset, count));
            if (now.length() > prefix.length() && !now.endsWith("\uFFFD") && now.startsWith(prefix)) {
                text.append(now, prefix.length(), now.length());
                prefixOffset = readOffset;
                readOffset = count;
            }
            return text.toString();
        }

        /** The final text: bytes still pending are decoded (an incomplete character becomes U+FFFD). Idempotent. */
        public String finish() {
            if (finished != null) {
                return finished;
            }
            if (bytesOf == null) {
                String prefix = fallback.decode(java.util.Arrays.copyOfRange(ids, prefixOffset, readOffset));
                String now = fallback.decode(java.util.Arrays.copyOfRange(ids, prefixOffset, count));
                if (now.length() > prefix.length() && now.startsWith(prefix)) {
                    text.append(now, prefix.length(), now.length());
                }
                finished = text.toString();
                return finished;
            }
            pending.flip();
            CharBuffer out = CharBuffer.allocate(pending.remaining() + 4);
            utf8.decode(pending, out, true);
            utf8.flush(out);
            out.flip();
            pending.clear();
            finished = text.append(out).toString();
            return finished;
        }
    }
}
