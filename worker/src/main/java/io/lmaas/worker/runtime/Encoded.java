package io.lmaas.worker.runtime;

/**
 * One input tokenised for an encoder's forward pass: the ids it runs on, and how many tokens the input had (what is
 * metered; more than {@code ids.length} when the caller asked for truncation).
 */
public record Encoded(long[] ids, int tokens) {
    public int length() {
        return ids.length;
    }
}
