package io.lmaas.worker.hf.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

/** Blocks the decoder families share: attention over a cache, fused projections, arrays kept in the right manager. */
final class DecoderOps {
    private DecoderOps() {
    }

    /** One decoder layer: (x, k, v) at a prefill (keys and values of its positions), (x) at a decode step. */
    @FunctionalInterface
    interface Layer {
        NDArray[] apply(NDArray x, NDArray keys, NDArray values, int length);
    }

    /**
     * Runs {@code layers} over {@code x} at a prefill: returns (x, k0, v0, k1, v1, ...), each layer's intermediates freed
     * as the layer ends.
     */
    static NDList prefill(NDArray x, int layers, java.util.function.IntFunction<Layer> layer) {
        NDList out = new NDList(1 + 2 * layers);
        out.add(null);
        for (int i = 0; i < layers; i++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray[] r = layer.apply(i).apply(x, null, null, -1);
                for (NDArray a : r) {
                    NDScope.unregister(a);
                }
                x = r[0];
                out.add(r[1]);
                out.add(r[2]);
            }
        }
        out.set(0, x);
        return out;
    }

    /** Runs {@code layers} over {@code x} at a decode step on the batch's cache buffers. */
    static NDArray step(NDArray x, NDList keys, NDList values, int length, int layers, java.util.function.IntFunction<Layer> layer) {
        for (int i = 0; i < layers; i++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray next = layer.apply(i).apply(x, keys.get(i), values.get(i), length)[0];
                NDScope.unregister(next);
                x = next;
            }
        }
        return x;
    }

    /** The last position of hidden states (B, T, h) as (B, 1, h). */
    static NDArray last(NDArray x) {
        long n = x.getShape().get(1);
        return x.get(new NDIndex(":, " + (n - 1) + ":" + n + ", :"));
    }

    /**
     * Attention of queries {@code q} (B, heads, T, d; already scaled) over keys/values {@code k}, {@code v} (B, kv heads,
     * T or cache, d). At a decode step this position's key and value are first written at column {@code length} of the
     * cache buffers, and attention runs over columns 0..length. Returns (context (B, T, heads × d), k, v): the keys and
     * values of the new positions, copied (for a prefill's cache).
     */
    static NDArray[] attention(NDArray q, NDArray k, NDArray v, NDArray mask, NDArray keys, NDArray values, int length) {
        NDArray allK = k;
        NDArray allV = v;
        if (keys != null) {
            NDIndex column = new NDIndex(":, :, " + length + ":" + (length + 1) + ", :");
            keys.set(column, k);
            values.set(column, v);
            NDIndex upTo = new NDIndex(":, :, :" + (length + 1) + ", :");
            allK = keys.get(upTo);
            allV = values.get(upTo);
        }
        NDArray context = attend(q, allK, allV, mask);
        return keys == null ? new NDArray[] {context, k.duplicate(), v.duplicate()} : new NDArray[] {context};
    }

    /**
     * Grouped-query attention without copying keys per query head: the query heads sharing a key/value head are laid
     * side by side as extra rows, (B, kv heads, groups × T, d), so one matmul serves the group.
     */
    private static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long b = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long t = q.getShape().get(2);
        long d = q.getShape().get(3);
        long kvHeads = k.getShape().get(1);
        long groups = heads / kvHeads;
        long s = k.getShape().get(2);
        NDArray scores = q.reshape(b, kvHeads, groups * t, d).matMul(k.transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.reshape(b, kvHeads, groups, t, s).add(mask.expandDims(2)).reshape(b, kvHeads, groups * t, s);
        }
        NDArray context = scores.softmax(-1).matMul(v).reshape(b, heads, t, d);
        return context.transpose(0, 2, 1, 3).reshape(b, t, heads * d);
    }

    /** Concatenates projections along {@code axis} into one tensor held by {@code manager}; frees the parts. */
    static NDArray fuse(NDManager manager, int axis, NDArray... parts) {
        NDArray fused = parts[0];
        for (int i = 1; i < parts.length; i++) {
            fused = fused.concat(parts[i], axis);
        }
        for (NDArray part : parts) {
            part.close();
        }
        fused.attach(manager);
        return fused;
    }

    /** A copy in libtorch's memory (an array made from Java data borrows a direct buffer only its Java object keeps). */
    static NDArray owned(NDManager manager, NDArray borrowed) {
        NDArray copy = borrowed.duplicate();
        borrowed.close();
        copy.attach(manager);
        return copy;
    }

    /** A lookup into a model tensor lands in the model's manager: move it to the request's. */
    static NDArray inRequest(NDArray a, NDManager request) {
        a.attach(request);
        return a;
    }
}
