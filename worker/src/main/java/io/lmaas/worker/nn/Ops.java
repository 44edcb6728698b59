package io.lmaas.worker.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

/**
 * The tensor functions the built-in architectures share. Every operation is called on the request's own
 * array (data first, weights as arguments) so results land in the request's NDManager and are freed with
 * it, never in the model's manager.
 */
final class Ops {
    static final float NEG_INF = -1e9f;

    private Ops() {
    }

    /** LayerNorm over the last axis (eps 1e-5, biased variance, as PyTorch's): one native call. */
    static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return x.getNDArrayInternal().layerNorm(x, gamma.getShape(), gamma, beta, 1e-5f).singletonOrThrow();
    }

    static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray y = x.matMul(weight);
        return bias == null ? y : y.add(bias);
    }

    /** Rows of {@code table} for the ids (thread-safe, unlike DJL's IdEmbedding on a shared model). */
    static NDArray embed(NDArray ids, NDArray table) {
        return Embedding.embedding(ids.toType(DataType.INT64, false), table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Positions 0..length-1 as int64, in the manager of {@code like}. */
    static NDArray positions(NDManager manager, long offset, long length) {
        return manager.arange(offset, offset + length, 1, DataType.INT64);
    }

    /** Additive causal mask (1, 1, q, k): query i (at absolute position offset+i) may see keys 0..offset+i. */
    static NDArray causalMask(NDManager manager, long offset, long queries, long keys) {
        NDArray q = manager.arange(offset, offset + queries, 1, DataType.INT64).reshape(queries, 1);
        NDArray k = manager.arange(0, keys, 1, DataType.INT64).reshape(1, keys);
        return k.gt(q).toType(DataType.FLOAT32, false).mul(NEG_INF).reshape(1, 1, queries, keys);
    }

    /** Additive padding mask (B, 1, 1, T) from a keep mask (B, T) of ones (token) and zeros (padding). */
    static NDArray paddingMask(NDArray keep) {
        long[] s = keep.getShape().getShape();
        return keep.neg().add(1f).mul(NEG_INF).reshape(s[0], 1, 1, s[1]);
    }
}
