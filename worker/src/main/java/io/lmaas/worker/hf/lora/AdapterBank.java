package io.lmaas.worker.hf.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The LoRA adapters a worker holds for one base, in slots, so requests for different adapters (and the bare base) run in
 * one batch. Per adapted projection one pair of banks: A transposed (slots + 1, in, r) and B transposed with the
 * adapter's scaling folded in (slots + 1, r, out); slot 0 is zeros (the bare base), ranks below the bank's are
 * zero-padded (exact). A row's delta is {@code x · A[slot] · B[slot]}: two gathers and two batched matmuls per
 * projection whatever the number of distinct adapters in the batch. Not thread-safe: the generation engine's thread
 * owns it.
 */
public final class AdapterBank implements AdapterStore, AutoCloseable {
    private final DecoderConfig base;
    private final java.util.function.Function<String, int[]> dims;
    private final NDManager manager;
    private final int capacity;
    private final LowRankAdapter[] slots;
    private final Map<LoraAdapter.Key, NDArray[]> banks = new HashMap<>();
    private int rank;

    /** A bank for a Llama-family decoder's projections. */
    public AdapterBank(DecoderConfig base, NDManager manager, int capacity) {
        this(base, module -> LoraAdapter.dims(base, module), manager, capacity);
    }

    /** A bank for any base: {@code dims} gives a module's (out, in). */
    public AdapterBank(java.util.function.Function<String, int[]> dims, NDManager manager, int capacity) {
        this(null, dims, manager, capacity);
    }

    private AdapterBank(DecoderConfig base, java.util.function.Function<String, int[]> dims, NDManager manager, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("an adapter bank holds at least one adapter");
        }
        this.base = base;
        this.dims = dims;
        this.manager = manager;
        this.capacity = capacity;
        this.slots = new LowRankAdapter[capacity + 1];
    }

    /** The decoder this bank adapts (null for a bank made for another base). */
    public DecoderConfig base() {
        return base;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int freeSlot() {
        for (int s = 1; s <= capacity; s++) {
            if (slots[s] == null) {
                return s;
            }
        }
        return -1;
    }

    /** Writes {@code adapter} into free slot {@code slot}, widening the banks if its rank is larger than theirs. */
    public void put(int slot, LowRankAdapter adapter) {
        if (slot < 1 || slot > capacity || slots[slot] != null) {
            throw new IllegalArgumentException("slot " + slot + " is not free");
        }
        if (adapter.rank() > rank) {
            widen(adapter.rank());
        }
        for (Map.Entry<LoraAdapter.Key, LoraAdapter.Pair> e : adapter.weights().entrySet()) {
            NDArray[] bank = banks.computeIfAbsent(e.getKey(), k -> newBank(k.module(), rank));
            LoraAdapter.Pair p = e.getValue();
            int r = adapter.rank();
            try (NDManager tmp = manager.newSubManager()) {
                NDArray at = tmp.create(p.a(), new Shape(r, p.in())).transpose(1, 0);
                NDArray bt = tmp.create(p.b(), new Shape(p.out(), r)).transpose(1, 0).mul((float) adapter.scaling());
                bank[0].set(new NDIndex(slot + ", :, :" + r), at);
                bank[1].set(new NDIndex(slot + ", :" + r + ", :"), bt);
            }
        }
        slots[slot] = adapter;
    }

    /** Reads a PEFT adapter for this bank's decoder into {@code slot}. */
    @Override
    public void load(int slot, java.nio.file.Path dir) {
        put(slot, LoraAdapter.load(dir, base));
    }

    /** Empties {@code slot} (its rows in the banks become zeros again). */
    @Override
    public void remove(int slot) {
        if (slots[slot] == null) {
            return;
        }
        for (LoraAdapter.Key key : slots[slot].weights().keySet()) {
            NDArray[] bank = banks.get(key);
            bank[0].set(new NDIndex(slot + ", :, :"), 0f);
            bank[1].set(new NDIndex(slot + ", :, :"), 0f);
        }
        slots[slot] = null;
    }

    /**
     * The adapters' contribution to projection {@code module} of {@code layer} for input {@code x} (B, T, in), row b
     * using the adapter in {@code rowSlots[b]}; null if no held adapter touches it (nothing to add).
     */
    public NDArray delta(NDManager m, int layer, String module, NDArray x, NDArray rowSlots) {
        NDArray[] bank = banks.get(new LoraAdapter.Key(layer, module));
        if (bank == null) {
            return null;
        }
        NDArray a = bank[0].get(rowSlots);
        NDArray b = bank[1].get(rowSlots);
        a.attach(m);
        b.attach(m);
        return x.matMul(a).matMul(b);
    }

    private NDArray[] newBank(String module, int r) {
        int[] dims = this.dims.apply(module);
        return new NDArray[] {manager.zeros(new Shape(capacity + 1, dims[1], r)), manager.zeros(new Shape(capacity + 1, r, dims[0]))};
    }

    private void widen(int r) {
        for (Map.Entry<LoraAdapter.Key, NDArray[]> e : banks.entrySet()) {
            NDArray[] old = e.getValue();
            NDArray[] wider = newBank(e.getKey().module(), r);
            wider[0].set(new NDIndex(":, :, :" + rank), old[0]);
            wider[1].set(new NDIndex(":, :" + rank + ", :"), old[1]);
            old[0].close();
            old[1].close();
            e.setValue(wider);
        }
        rank = r;
    }

    @Override
    public void close() {
        banks.values().forEach(b -> {
            b[0].close();
            b[1].close();
        });
        banks.clear();
    }
}
