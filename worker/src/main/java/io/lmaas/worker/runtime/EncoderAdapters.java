package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.hf.SafetensorsReader;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.lora.AdapterBank;
import io.lmaas.worker.hf.lora.AdapterStore;
import io.lmaas.worker.hf.lora.EncoderLoraAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The LoRA classifier adapters an encoder worker holds, in slots, so inputs for different adapters (and the bare base)
 * run in one forward pass: the layers' low-rank deltas come from an {@link AdapterBank} by each row's slot (two gathers
 * and two batched matmuls per adapted projection, whatever the mix), then each row goes through its own adapter's head
 * and labels. Forward passes run concurrently (the batcher's threads) under a read lock; loading and evicting an adapter
 * take the write lock, so no pass sees a half-written slot.
 */
public final class EncoderAdapters implements AdapterStore, AutoCloseable {
    private final EncoderConfig config;
    private final BertFamilyEncoder encoder;
    private final NDManager manager;
    private final AdapterBank bank;
    private final BertFamilyEncoder.HeadWeights[] heads;
    private final List<List<String>> labels = new ArrayList<>();
    private final List<List<NDArray>> owned = new ArrayList<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    EncoderAdapters(EncoderConfig config, BertFamilyEncoder encoder, NDManager parent, int capacity) {
        this.config = config;
        this.encoder = encoder;
        this.manager = parent.newSubManager();
        this.bank = new AdapterBank(config::dims, manager, capacity);
        this.heads = new BertFamilyEncoder.HeadWeights[capacity + 1];
        for (int s = 0; s <= capacity; s++) {
            labels.add(null);
            owned.add(new ArrayList<>());
        }
        heads[0] = encoder.head();
    }

    @Override
    public int capacity() {
        return bank.capacity();
    }

    @Override
    public int freeSlot() {
        lock.readLock().lock();
        try {
            return bank.freeSlot();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void load(int slot, Path dir) {
        EncoderLoraAdapter adapter = EncoderLoraAdapter.load(dir, config);
        lock.writeLock().lock();
        try {
            bank.put(slot, adapter);
            String[] modules = config.headModules();
            BertFamilyEncoder.HeadWeights base = encoder.head();
            List<NDArray> mine = owned.get(slot);
            NDArray[] parts = new NDArray[4];
            String[] names = {modules[0] + ".weight", modules[0] + ".bias", modules[1] + ".weight", modules[1] + ".bias"};
            for (int i = 0; i < 4; i++) {
                SafetensorsReader.Tensor t = adapter.head().get(names[i]);
                if (t != null) {
                    NDArray borrowed = manager.create(t.values(), new Shape(t.shape()));
                    parts[i] = borrowed.duplicate(); // in libtorch's memory: a Java-backed array lives only as long as its buffer
                    borrowed.close();
                    mine.add(parts[i]);
                }
            }
            heads[slot] = new BertFamilyEncoder.HeadWeights(parts[0] != null ? parts[0] : base.denseWeight(),
                    parts[1] != null ? parts[1] : base.denseBias(), parts[2] != null ? parts[2] : base.scoresWeight(),
                    parts[3] != null ? parts[3] : base.scoresBias());
            labels.set(slot, adapter.labels());
        } catch (RuntimeException e) {
            dropHead(slot);
            bank.remove(slot);
            throw e;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void remove(int slot) {
        lock.writeLock().lock();
        try {
            bank.remove(slot);
            dropHead(slot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void dropHead(int slot) {
        owned.get(slot).forEach(NDArray::close);
        owned.get(slot).clear();
        heads[slot] = null;
        labels.set(slot, null);
    }

    /**
     * Classifies one forward pass of inputs, each with the adapter in its {@link Encoded#adapter()} slot (0: the base's
     * head and labels, which a bare encoder does not have).
     */
    List<Classification> classify(NDManager request, List<Encoded> inputs, List<String> baseLabels) {
        lock.readLock().lock();
        try {
            float[][] logits = logits(request, inputs, null);
            List<Classification> out = new ArrayList<>(inputs.size());
            for (int i = 0; i < logits.length; i++) {
                int slot = inputs.get(i).adapter();
                out.add(Classification.of(logits[i], slot == 0 ? baseLabels : labels.get(slot), inputs.get(i).tokens()));
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The class scores of each input under its slot's adapter, with token type ids ({@code types}, or null for none). */
    public float[][] logits(List<Encoded> inputs, long[][] types) {
        lock.readLock().lock();
        try (NDManager request = manager.newSubManager()) {
            return logits(request, inputs, types);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The labels of the adapter in {@code slot} (null when empty). */
    public List<String> labels(int slot) {
        return labels.get(slot);
    }

    private float[][] logits(NDManager request, List<Encoded> inputs, long[][] types) {
        long[][] ids = new long[inputs.size()][];
        long[] slots = new long[inputs.size()];
        Map<Integer, List<Integer>> rowsBySlot = new LinkedHashMap<>();
        for (int i = 0; i < ids.length; i++) {
            ids[i] = inputs.get(i).ids();
            slots[i] = inputs.get(i).adapter();
            rowsBySlot.computeIfAbsent(inputs.get(i).adapter(), s -> new ArrayList<>()).add(i);
        }
        NDArray rowSlots = request.create(slots);
        NDArray hidden = encoder.hiddenStates(request, ids, types, null, false,
                (layer, projection, x) -> bank.delta(request, layer, projection, x, rowSlots));
        float[][] out = new float[inputs.size()][];
        for (Map.Entry<Integer, List<Integer>> e : rowsBySlot.entrySet()) {
            int slot = e.getKey();
            if (heads[slot] == null) {
                throw new IllegalStateException(slot == 0 ? "this encoder has no classification head: classifying needs an adapter"
                        : "adapter slot " + slot + " is empty");
            }
            List<Integer> rows = e.getValue();
            NDArray picked = hidden.get(request.create(rows.stream().mapToLong(Integer::longValue).toArray()));
            float[] flat = encoder.logits(picked, heads[slot], false).toFloatArray();
            int width = flat.length / rows.size();
            for (int r = 0; r < rows.size(); r++) {
                out[rows.get(r)] = java.util.Arrays.copyOfRange(flat, r * width, (r + 1) * width);
            }
        }
        return out;
    }

    @Override
    public void close() {
        bank.close();
        manager.close();
    }
}
