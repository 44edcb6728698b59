package io.lmaas.worker.wlm;

import io.lmaas.worker.hf.lora.AdapterBank;
import io.lmaas.worker.hf.lora.LoraAdapter;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which adapters the worker holds, in which slots of the base's {@link AdapterBank}: an adapter is loaded from its
 * directory on first use and kept; when every slot is taken, the least recently used one that no running sequence uses
 * is evicted. A sequence holds its slot from admission to its end. Changed by the generation engine's thread; read by others.
 */
final class AdapterSlots {
    private final AdapterBank bank;
    /** Access order: the first entry is the least recently used. */
    private final LinkedHashMap<String, Resident> resident = new LinkedHashMap<>(16, 0.75f, true);
    private int loads;
    private int evictions;

    private static final class Resident {
        final int slot;
        int users;

        Resident(int slot) {
            this.slot = slot;
        }
    }

    AdapterSlots(AdapterBank bank) {
        this.bank = bank;
    }

    /**
     * The slot holding {@code ref} for one more sequence, loading it if needed; -1 when every slot is in use by running
     * sequences (the caller waits). A directory that is not a fitting adapter throws {@link IllegalArgumentException}.
     */
    synchronized int acquire(AdapterRef ref) {
        Resident r = resident.get(ref.name());
        if (r == null) {
            int slot = bank.freeSlot();
            if (slot < 0) {
                slot = evictIdle();
                if (slot < 0) {
                    return -1;
                }
            }
            LoraAdapter adapter;
            try {
                adapter = LoraAdapter.load(ref.dir(), bank.base());
            } catch (ModelDirectoryException e) {
                throw new IllegalArgumentException("adapter " + ref.name() + " does not fit this base: " + e.getMessage(), e);
            }
            bank.put(slot, adapter);
            r = new Resident(slot);
            resident.put(ref.name(), r);
            loads++;
        }
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

    private int evictIdle() {
        for (Iterator<Map.Entry<String, Resident>> it = resident.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Resident> e = it.next();
            if (e.getValue().users == 0) {
                it.remove();
                bank.remove(e.getValue().slot);
                evictions++;
                return e.getValue().slot;
            }
        }
        return -1;
    }

    /** The adapters held, least recently used first. */
    synchronized List<String> names() {
        return List.copyOf(resident.keySet());
    }

    synchronized int loads() {
        return loads;
    }

    synchronized int evictions() {
        return evictions;
    }
}
