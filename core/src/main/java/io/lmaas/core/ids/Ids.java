package io.lmaas.core.ids;

import java.security.SecureRandom;

/** Random identifiers with a readable type prefix, e.g. {@code tn-7kq2m9x4d1ab}. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private Ids() {
    }

    /** {@code length} random characters from a 32-letter alphabet with no look-alikes (no 0/o, 1/l). */
    public static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    public static String tenant() {
        return "tn-" + random(12);
    }

    /** Request ids need to be unique, not secret: a thread-local generator keeps them cheap on the hot path. */
    public static String request() {
        return "req-" + unique(20);
    }

    /** A batch line's request id, as {@link #request} unique rather than secret (a batch makes one per line). */
    public static String batchRequest() {
        return "batch_req_" + unique(20);
    }

    private static String unique(int length) {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        char[] out = new char[length];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALPHABET[r.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    public static String deployment() {
        return "dep-" + random(12);
    }

    public static String file() {
        return "file-" + random(16);
    }

    public static String fineTuningJob() {
        return "ftjob-" + random(16);
    }

    public static String batch() {
        return "batch_" + random(16);
    }
}
