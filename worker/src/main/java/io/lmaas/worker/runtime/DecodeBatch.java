package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The running sequences' key/value caches held as one batch: per layer (rows, heads, length, head size),
 * row i left-padded by {@code pad[i]} positions. A decode step then costs a few native calls whatever
 * the number of sequences. For networks without a cache (TorchScript) it holds each row's token window.
 */
public final class DecodeBatch implements AutoCloseable {
    final NDManager manager;
    NDArray[] keys;
    NDArray[] values;
    int[] pad = new int[0];
    int length;
    long[][] windows = new long[0][];

    DecodeBatch(NDManager manager) {
        this.manager = manager;
    }

    public int rows() {
        return pad.length;
    }

    /** How many positions row {@code i} holds (its own, without padding). */
    public int rowLength(int i) {
        return keys == null && windows.length > 0 ? windows[i].length : length - pad[i];
    }

    void replace(NDArray[] target, int layer, NDArray fresh) {
        NDArray old = target[layer];
        target[layer] = fresh;
        if (old != null && old != fresh) {
            old.close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
