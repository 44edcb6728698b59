package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * A decoder the generation engine runs with a key/value cache: the built-in network or a Hugging Face checkpoint.
 * Keys and values are (batch, key/value heads, positions, head size) per layer. Results are made in {@code m}.
 */
public interface CausalLm {
    int layers();

    /**
     * A prefill: {@code ids} and {@code positions} (1, n) int64, additive {@code mask} (1, 1, n, n). Returns the last
     * position's logits (1, vocab) followed by each layer's keys and values (1, kv heads, n, head size). {@code adapter}:
     * the slot of the LoRA adapter to apply (0: the bare model).
     */
    NDList prefill(NDManager m, NDArray ids, NDArray positions, NDArray mask, int adapter);

    /**
     * One decode step for every row: {@code ids}, {@code positions} (B, 1), additive {@code mask} (B, 1, 1, length + 1);
     * each row's key and value are written in place at column {@code length} of the layer buffers {@code keys} /
     * {@code values} (B, kv heads, capacity, head size); row b applies the adapter in slot {@code adapters[b]} (0: none).
     * Returns logits (B, 1, vocab).
     */
    NDArray step(NDManager m, NDArray ids, NDArray positions, NDArray mask, NDList keys, NDList values, int length, int[] adapters);

    /** The LoRA adapters this network can hold (slots the {@code adapter} arguments name; 0 = none), or null. */
    default io.lmaas.worker.hf.lora.AdapterBank adapters() {
        return null;
    }
}
