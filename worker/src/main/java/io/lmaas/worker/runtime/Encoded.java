package io.lmaas.worker.runtime;

/**
 * One input tokenised for an encoder's forward pass: the ids it runs on, how many tokens the input had (what is metered;
 * more than {@code ids.length} when the caller asked for truncation), and the adapter slot it runs with (0: the bare
 * base; see {@link EncoderAdapters}).
 */
public record Encoded(long[] ids, int tokens, int adapter) {
    public Encoded(long[] ids, int tokens) {
        this(ids, tokens, 0);
    }

    public int length() {
        return ids.length;
    }

    /** The same input, run with the adapter in {@code slot}. */
    public Encoded withAdapter(int slot) {
        return new Encoded(ids, tokens, slot);
    }
}
