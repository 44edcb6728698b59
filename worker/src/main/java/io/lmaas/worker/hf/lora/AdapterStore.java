package io.lmaas.worker.hf.lora;

import java.nio.file.Path;

/**
 * Slots a serving model holds adapters in: the worker's least-recently-used bookkeeping loads an adapter's directory into
 * a free slot and empties slots it evicts. Slot 0 is the bare base.
 */
public interface AdapterStore {
    /** How many adapters fit at once. */
    int capacity();

    /** A free slot (1..capacity), or -1 when every slot holds an adapter. */
    int freeSlot();

    /** Reads the adapter in {@code dir} into free slot {@code slot}; a directory that does not fit the base names why. */
    void load(int slot, Path dir);

    /** Empties {@code slot}. */
    void remove(int slot);
}
