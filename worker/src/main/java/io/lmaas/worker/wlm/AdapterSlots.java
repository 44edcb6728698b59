package io.lmaas.worker.wlm;

import io.lmaas.worker.hf.lora.AdapterStore;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which adapters the worker holds, in which slots of the base's {@link AdapterStore}: an adapter is loaded from its
 * directory on first use and kept; when every slot is taken, the least recently used one that no running sequence uses
 * and that is not pinned is evicted. A sequence holds its slot from admission to its end. An adapter's versions are
 * distinct entries (a request for the new directory loads it; the old one ages out). Pins follow what each request
 * says, and at most {@code capacity - 1} adapters are pinned at once, so a slot always turns over for the others: a pin
 * beyond that is held like any other adapter. Thread-safe (one lock); a decoder's are changed by its generation engine's
 * thread, an encoder's by its adapter loader's.
 */
final class AdapterSlots {
    private final AdapterStore bank;
    /** Access order: the first entry is the least recently used. Keyed by name and directory. */
    private final LinkedHashMap<AdapterKey, Resident> resident = new LinkedHashMap<>(16, 0.75f, true);
    private int loads;
    private int evictions;

    private record AdapterKey(String name, java.nio.file.Path dir) {
    }

    private static final class Resident {
        final int slot;
        int users;
        boolean pinned;

        Resident(int slot) {
            this.slot = slot;
        }
    }

    AdapterSlots(AdapterStore bank) {
        this.bank = bank;
    }

    /**
     * The slot holding {@code ref} for one more sequence, loading it if needed; -1 when every slot is in use by running
     * sequences (the caller waits). A directory that is not a fitting adapter throws {@link IllegalArgumentException}.
     */
    synchronized int acquire(AdapterRef ref) {
        AdapterKey key = new AdapterKey(ref.name(), ref.dir());
        Resident r = resident.get(key);
        if (r == null) {
            int slot = bank.freeSlot();
            if (slot < 0) {
                slot = evictIdle();
                if (slot < 0) {
                    return -1;
                }
            }
            try {
                bank.load(slot, ref.dir());
            } catch (ModelDirectoryException e) {
                throw new IllegalArgumentException("adapter " + ref.name() + " does not fit this base: " + e.getMessage(), e);
            }
            r = new Resident(slot);
            resident.put(key, r);
            loads++;
        }
        for (Map.Entry<AdapterKey, Resident> e : resident.entrySet()) {
            if (e.getKey().name().equals(ref.name()) && e.getValue() != r) {
                e.getValue().pinned = false; // an older version: the pin moves to the one requests name now
            }
        }
        r.pinned = ref.pinned() && (r.pinned || pinnedCount() < bank.capacity() - 1);
        r.users++;
        return r.slot;
    }

    synchronized void release(int slot) {
        for (Resident r : resident.values()) {
            if (r.slot == slot && r.users > 0) {
                r.users--;
                return;
            }
        }
    }

    private int pinnedCount() {
        int n = 0;
        for (Resident r : resident.values()) {
            n += r.pinned ? 1 : 0;
        }
        return n;
    }

    private int evictIdle() {
        for (Iterator<Map.Entry<AdapterKey, Resident>> it = resident.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<AdapterKey, Resident> e = it.next();
            if (e.getValue().users == 0 && !e.getValue().pinned) {
                it.remove();
                bank.remove(e.getValue().slot);
                evictions++;
                return e.getValue().slot;
            }
        }
        return -1;
    }

    /** The adapters held (by name, any version), least recently used first. */
    synchronized List<String> names() {
        return resident.keySet().stream().map(AdapterKey::name).distinct().toList();
    }

    /** The adapters pinned now. */
    synchronized List<String> pinned() {
        return resident.entrySet().stream().filter(e -> e.getValue().pinned).map(e -> e.getKey().name()).distinct().toList();
    }

    int capacity() {
        return bank.capacity();
    }

    synchronized int loads() {
        return loads;
    }

    synchronized int evictions() {
        return evictions;
    }
}
