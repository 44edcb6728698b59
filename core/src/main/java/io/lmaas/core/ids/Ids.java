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

    /**
     * Request ids need to be unique, not secret: a thread-local generator keeps them cheap on the hot path. They are
     * time-ordered ({@link #timeOrdered}): the usage ledger's primary key takes one per request.
     */
    public static String request() {
        return "req-" + timeOrdered();
    }

    /** A batch line's request id, as {@link #request} unique rather than secret and time-ordered (a batch makes one per line). */
    public static String batchRequest() {
        return "batch_req_" + timeOrdered();
    }

    /** The 32 letters of {@link #ALPHABET} in byte order (digits first), so that strings of them sort as numbers do. */
    private static final char[] ORDERED = "23456789abcdefghijkmnpqrstuvwxyz".toCharArray();

    /**
     * 20 characters: the millisecond clock in 9 (45 bits, in {@link #ORDERED}, so ids of a later millisecond sort after,
     * byte-wise and in PostgreSQL's C and ICU orders), then 11 random ones (55 bits). Rows keyed by them are appended at the
     * right edge of a B-tree instead of at random pages: a random key costs the usage ledger ~30 % more per row on insert
     * (measured on PostgreSQL 17, 256-row commits), more once the index outgrows the cache.
     */
    static String timeOrdered() {
        char[] out = new char[20];
        long ms = System.currentTimeMillis();
        for (int i = 8; i >= 0; i--) {
            out[i] = ORDERED[(int) (ms & 31)];
            ms >>>= 5;
        }
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 9; i < out.length; i++) {
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
