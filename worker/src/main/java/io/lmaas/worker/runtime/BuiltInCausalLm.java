package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.nn.DecoderLm;

/** The built-in {@link DecoderLm} as a {@link CausalLm}. */
record BuiltInCausalLm(DecoderLm network) implements CausalLm {
    @Override
    public int layers() {
        return network.layers();
    }

    @Override
    public NDList prefill(NDManager m, NDArray ids, NDArray positions, NDArray mask, int adapter) {
        NDList r = network.forwardCached(new ParameterStore(m, false), ids, positions, mask, null, null);
        long vocab = r.get(0).getShape().get(2);
        r.set(0, r.get(0).get(new NDIndex("0, -1, :")).reshape(1, vocab));
        return r;
    }

    @Override
    public NDArray step(NDManager m, NDArray ids, NDArray positions, NDArray mask, NDList keys, NDList values, int length,
            int[] adapters) {
        return network.forwardStep(new ParameterStore(m, false), ids, positions, mask, keys, values, length);
    }
}
