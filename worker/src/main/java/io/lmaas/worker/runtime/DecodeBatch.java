package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The running sequences' key/value caches held as one batch, so a decode step costs a few native calls
 * whatever the number of sequences. Per layer one buffer (slots, heads, capacity, head size) is
 * allocated when the batch first grows past its slots (doubling) and then reused: rows 0..rows-1 are the
 * running sequences, row i occupying columns {@code pad[i]} to {@code length - 1} (right-aligned,
 * left-padded; padding is masked, its stale values never read). A step writes column {@code length} in
 * place; a joining row is one slice copy; a leaving row moves the rows behind it up by one. Columns are
 * compacted only when the batch reaches capacity. For networks without a cache (TorchScript) it holds
 * each row's token window instead.
 */
public final class DecodeBatch implements AutoCloseable {
    final NDManager manager;
    private final int capacity;
    private NDArray[] keys;
    private NDArray[] values;
    private int slots;
    int[] pad = new int[0];
    /** Each row's LoRA adapter slot (0: none). */
    int[] adapters = new int[0];
    int length;
    long[][] windows = new long[0][];

    DecodeBatch(NDManager manager, int capacity) {
        this.manager = manager;
        this.capacity = capacity;
    }

    public int rows() {
        return pad.length;
    }

    /** How many positions row {@code i} holds (its own, without padding). */
    public int rowLength(int i) {
        return keys == null && windows.length > 0 ? windows[i].length : length - pad[i];
    }

    /** Appends {@code cache}'s window as the last row, right-aligned with the others. */
    void append(KvCache cache) {
        int rows = rows();
        int n = cache.length;
        if (keys == null) {
            keys = new NDArray[cache.keys.length];
            values = new NDArray[cache.keys.length];
        }
        if (rows == 0) {
            length = 0;
        }
        if (rows == slots) {
            grow(Math.max(1, slots * 2), cache.keys[0].getShape());
        }
        if (n > length) {
            shiftColumns(rows, 0, length, n - length);
            for (int i = 0; i < rows; i++) {
                pad[i] += n - length;
            }
            length = n;
        }
        NDIndex target = new NDIndex(rows + ":" + (rows + 1) + ", :, " + (length - n) + ":" + length + ", :");
        for (int l = 0; l < keys.length; l++) {
            keys[l].set(target, cache.keys[l].expandDims(0));
            values[l].set(target, cache.values[l].expandDims(0));
        }
        pad = java.util.Arrays.copyOf(pad, rows + 1);
        pad[rows] = length - n;
        adapters = java.util.Arrays.copyOf(adapters, rows + 1);
        adapters[rows] = cache.adapter;
    }

    /**
     * Keeps the given rows: new row i is old row {@code rows[i]}. Rows are moved in order, so each must
     * still hold its own data when read: an old row at or after its new place, or one that stays put
     * (ascending lists and holes filled from the tail both qualify).
     */
    void keep(int[] rows) {
        int[] kept = new int[rows.length];
        int[] keptAdapters = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int source = rows[i];
            keptAdapters[i] = adapters[source];
            if (source < 0 || source >= rows() || (source < i && rows[source] != source)) {
                throw new IllegalArgumentException("row " + source + " cannot move to " + i + ": it was overwritten or does not exist");
            }
            kept[i] = pad[source];
            if (source != i) {
                NDIndex from = new NDIndex(source + ":" + (source + 1) + ", :, :" + length + ", :");
                NDIndex to = new NDIndex(i + ":" + (i + 1) + ", :, :" + length + ", :");
                for (int l = 0; l < keys.length; l++) {
                    move(keys[l], from, to);
                    move(values[l], from, to);
                }
            }
        }
        pad = kept;
        adapters = keptAdapters;
        if (kept.length == 0) {
            length = 0;
        }
    }

    /** Makes room for column {@code length} by dropping the padding every row has, if the batch is full. */
    void ensureColumn() {
        if (length < capacity) {
            return;
        }
        int drop = java.util.Arrays.stream(pad).min().orElse(0);
        if (drop == 0) {
            throw new IllegalStateException("a row is full; re-prefill its window first");
        }
        shiftColumns(rows(), drop, length - drop, -drop);
        for (int i = 0; i < pad.length; i++) {
            pad[i] -= drop;
        }
        length -= drop;
    }

    /** Views of the running rows' buffers, made in {@code m} (closed with it). */
    NDList keys(NDManager m) {
        return views(m, keys);
    }

    NDList values(NDManager m) {
        return views(m, values);
    }

    private NDList views(NDManager m, NDArray[] buffers) {
        NDList out = new NDList(buffers.length);
        NDIndex running = new NDIndex(":" + rows());
        for (NDArray b : buffers) {
            out.add(b.get(m, running));
        }
        return out;
    }

    /** Reallocates the buffers with {@code newSlots} rows, keeping the running ones; {@code row} is one row's (heads, n, head size). */
    private void grow(int newSlots, Shape row) {
        Shape shape = new Shape(newSlots, row.get(0), capacity, row.get(2));
        NDIndex running = new NDIndex(":" + rows() + ", :, :" + length + ", :");
        for (int l = 0; l < keys.length; l++) {
            keys[l] = regrow(keys[l], shape, running);
            values[l] = regrow(values[l], shape, running);
        }
        slots = newSlots;
    }

    private NDArray regrow(NDArray old, Shape shape, NDIndex running) {
        NDArray fresh = manager.zeros(shape);
        if (old != null) {
            if (rows() > 0 && length > 0) {
                try (NDManager m = manager.newSubManager()) {
                    fresh.set(running, old.get(m, running));
                }
            }
            old.close();
        }
        return fresh;
    }

    /** Moves columns [from, from + count) of the first {@code rows} rows by {@code by} (through a copy: they may overlap). */
    private void shiftColumns(int rows, int from, int count, int by) {
        if (rows == 0 || count == 0) {
            return;
        }
        NDIndex source = new NDIndex(":" + rows + ", :, " + from + ":" + (from + count) + ", :");
        NDIndex target = new NDIndex(":" + rows + ", :, " + (from + by) + ":" + (from + by + count) + ", :");
        for (int l = 0; l < keys.length; l++) {
            try (NDManager m = manager.newSubManager()) {
                keys[l].set(target, keys[l].get(m, source).duplicate());
                values[l].set(target, values[l].get(m, source).duplicate());
            }
        }
    }

    private void move(NDArray buffer, NDIndex from, NDIndex to) {
        try (NDManager m = manager.newSubManager()) {
            buffer.set(to, buffer.get(m, from));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
