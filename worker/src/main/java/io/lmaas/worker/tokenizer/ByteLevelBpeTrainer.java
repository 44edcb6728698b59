package io.lmaas.worker.tokenizer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE tokenizer (the GPT-2 scheme) and writes it as a Hugging Face
 * {@code tokenizer.json}. Byte-level means every UTF-8 string of any language is representable: there is
 * no unknown token, and decode(encode(s)) == s.
 *
 * <p>Pure code: deterministic for a given corpus (ties broken by symbol order).
 */
public final class ByteLevelBpeTrainer {
    /** GPT-2's pre-tokenization: the same split the Hugging Face ByteLevel pre-tokenizer applies. */
    static final Pattern PRE_TOKENIZE =
            Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final char[] BYTE_TO_CHAR = byteToChar();

    private ByteLevelBpeTrainer() {
    }

    /** The result: the vocabulary in id order and the merges in rank order. */
    public record Trained(List<String> specialTokens, List<String> vocab, List<String[]> merges) {

        public JsonObject toTokenizerJson() {
            JsonArray added = new JsonArray();
            for (int i = 0; i < specialTokens.size(); i++) {
                added.add(new JsonObject().put("id", i).put("content", specialTokens.get(i)).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true));
            }
            JsonObject vocabJson = new JsonObject(new LinkedHashMap<>());
            for (int i = 0; i < vocab.size(); i++) {
                vocabJson.put(vocab.get(i), i);
            }
            JsonArray mergesJson = new JsonArray();
            merges.forEach(m -> mergesJson.add(m[0] + " " + m[1]));
            JsonObject byteLevel = new JsonObject().put("type", "ByteLevel").put("add_prefix_space", false)
                    .put("trim_offsets", true).put("use_regex", true);
            return new JsonObject()
                    .put("version", "1.0")
                    .putNull("truncation")
                    .putNull("padding")
                    .put("added_tokens", added)
                    .putNull("normalizer")
                    .put("pre_tokenizer", byteLevel)
                    .putNull("post_processor")
                    .put("decoder", byteLevel.copy())
                    .put("model", new JsonObject()
                            .put("type", "BPE")
                            .putNull("dropout")
                            .putNull("unk_token")
                            .putNull("continuing_subword_prefix")
                            .putNull("end_of_word_suffix")
                            .put("fuse_unk", false)
                            .put("byte_fallback", false)
                            .put("vocab", vocabJson)
                            .put("merges", mergesJson));
        }

        public void write(Path file) throws IOException {
            Files.writeString(file, toTokenizerJson().encodePrettily(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Learns merges until the vocabulary (special tokens + 256 bytes + merges) reaches {@code vocabSize}
     * or no pair occurs at least twice.
     */
    public static Trained train(Iterable<String> texts, int vocabSize, List<String> specialTokens) {
        List<String> vocab = new ArrayList<>(specialTokens);
        Map<String, Integer> index = new HashMap<>();
        for (String s : specialTokens) {
            index.put(s, index.size());
        }
        for (char c : BYTE_TO_CHAR) {
            String s = String.valueOf(c);
            index.put(s, vocab.size());
            vocab.add(s);
        }
        if (vocabSize < vocab.size()) {
            throw new IllegalArgumentException("vocabSize must be at least " + vocab.size());
        }

        // Unique pre-tokens with their counts, each as a sequence of symbol ids.
        Map<String, Integer> wordCounts = new HashMap<>();
        for (String text : texts) {
            Matcher m = PRE_TOKENIZE.matcher(text);
            while (m.find()) {
                wordCounts.merge(toByteChars(m.group()), 1, Integer::sum);
            }
        }
        List<int[]> words = new ArrayList<>(wordCounts.size());
        List<Integer> counts = new ArrayList<>(wordCounts.size());
        wordCounts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String w = e.getKey();
            int[] ids = new int[w.length()];
            for (int i = 0; i < w.length(); i++) {
                ids[i] = index.get(String.valueOf(w.charAt(i)));
            }
            words.add(ids);
            counts.add(e.getValue());
        });

        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            Map<Long, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] ids = words.get(w);
                for (int i = 0; i + 1 < ids.length; i++) {
                    pairCounts.merge(pair(ids[i], ids[i + 1]), counts.get(w), Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 1;
            for (Map.Entry<Long, Integer> e : pairCounts.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && best >= 0 && e.getKey() < best)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best < 0) {
                break;
            }
            int a = (int) (best >>> 32);
            int b = (int) best;
            String merged = vocab.get(a) + vocab.get(b);
            int newId = vocab.size();
            vocab.add(merged);
            index.put(merged, newId);
            merges.add(new String[] {vocab.get(a), vocab.get(b)});
            for (int w = 0; w < words.size(); w++) {
                words.set(w, replacePair(words.get(w), a, b, newId));
            }
        }
        return new Trained(List.copyOf(specialTokens), List.copyOf(vocab), List.copyOf(merges));
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private static int[] replacePair(int[] ids, int a, int b, int merged) {
        int n = 0;
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (i + 1 < ids.length && ids[i] == a && ids[i + 1] == b) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = ids[i];
            }
        }
        return n == ids.length ? ids : java.util.Arrays.copyOf(out, n);
    }

    static String toByteChars(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_TO_CHAR[b & 0xff]);
        }
        return sb.toString();
    }

    /** GPT-2's reversible map from bytes to printable unicode characters (a copy). */
    public static char[] byteToCharTable() {
        return BYTE_TO_CHAR.clone();
    }

    /** GPT-2's reversible map from bytes to printable unicode characters. */
    private static char[] byteToChar() {
        char[] map = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        return map;
    }
}
