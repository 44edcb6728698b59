package io.lmaas.worker.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Decoder-only language model (the GPT recipe at small scale): a causally masked
 * {@link TransformerTrunk} and a linear head over the vocabulary.
 * Input {@code (ids (B,T) int64)}; output logits (B, T, vocab).
 */
public final class DecoderLm extends AbstractBlock {
    private final TransformerSpec spec;
    private final TransformerTrunk trunk;
    private final Parameter headWeight;
    private final Parameter headBias;

    public DecoderLm(TransformerSpec spec) {
        this.spec = spec;
        trunk = addChildBlock("trunk", new TransformerTrunk(spec));
        headWeight = addParameter(Params.weight("head_weight", spec.dModel(), spec.vocabSize()));
        headBias = addParameter(Params.bias("head_bias", spec.vocabSize()));
    }

    public TransformerSpec spec() {
        return spec;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        Device device = ids.getDevice();
        long time = ids.getShape().get(1);
        NDArray mask = Ops.causalMask(ids.getManager(), 0, time, time);
        NDArray x = trunk.forward(ps, new NDList(ids, mask), training).singletonOrThrow();
        return new NDList(Ops.linear(x, ps.getValue(headWeight, device, training), ps.getValue(headBias, device, training)));
    }

    /**
     * Cached inference (see {@link TransformerTrunk#forwardCached}): returns the logits (B, Tn, vocab)
     * followed by the new keys and values per layer.
     */
    public NDList forwardCached(ParameterStore ps, NDArray ids, NDArray positions, NDArray mask, NDList pastK, NDList pastV) {
        NDList r = trunk.forwardCached(ps, ids, positions, mask, pastK, pastV);
        Device device = ids.getDevice();
        r.set(0, Ops.linear(r.get(0), ps.getValue(headWeight, device, false), ps.getValue(headBias, device, false)));
        return r;
    }

    /** One decode step on preallocated caches: logits (B, 1, vocab). */
    public NDArray forwardStep(ParameterStore ps, NDArray ids, NDArray positions, NDArray mask, NDList keys, NDList values,
            int length) {
        NDArray x = trunk.forwardStep(ps, ids, positions, mask, keys, values, length);
        Device device = ids.getDevice();
        return Ops.linear(x, ps.getValue(headWeight, device, false), ps.getValue(headBias, device, false));
    }

    public int layers() {
        return trunk.layerCount();
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long time = inputShapes[0].get(1);
        trunk.initialize(manager, dataType, inputShapes[0], new Shape(1, 1, time, time));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), spec.vocabSize())};
    }
}
