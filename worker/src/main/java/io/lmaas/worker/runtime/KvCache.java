package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * One sequence's key/value cache: per layer keys and values (heads, length, head size) for the tokens of
 * its current window, in a manager of its own that is closed with the sequence.
 */
public final class KvCache implements AutoCloseable {
    final NDManager manager;
    final NDArray[] keys;
    final NDArray[] values;
    /** The window's tokens, for networks without a cache (recomputed each step). */
    long[] tokens;
    int length;
    /** The LoRA adapter slot the sequence runs with (0: the bare model). */
    int adapter;

    KvCache(NDManager manager, int layers) {
        this.manager = manager;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    public int length() {
        return length;
    }

    /** Replaces layer {@code i}'s cache with {@code k}, {@code v} (heads, length, head size), taking ownership. */
    void set(int i, NDArray k, NDArray v) {
        k.attach(manager);
        v.attach(manager);
        if (keys[i] != null) {
            keys[i].close();
            values[i].close();
        }
        keys[i] = k;
        values[i] = v;
    }

    NDList keys() {
        return new NDList(keys);
    }

    @Override
    public void close() {
        manager.close();
    }
}
