package io.lmaas.worker.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * Decoder-only language model (the GPT recipe at small scale): token + learned position embeddings,
 * causally masked layers, final LayerNorm, linear head over the vocabulary.
 * Input {@code (ids (B,T) int64)}; output logits (B, T, vocab).
 */
public final class DecoderLm extends AbstractBlock {
    private final TransformerSpec spec;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final Parameter lnGamma;
    private final Parameter lnBeta;
    private final Parameter headWeight;
    private final Parameter headBias;

    public DecoderLm(TransformerSpec spec) {
        this.spec = spec;
        tokenEmbedding = addParameter(Params.weight("token_embedding", spec.vocabSize(), spec.dModel()));
        positionEmbedding = addParameter(Params.weight("position_embedding", spec.maxLength(), spec.dModel()));
        for (int i = 0; i < spec.layers(); i++) {
            layers.add(addChildBlock("layer" + i, new TransformerLayer(spec.dModel(), spec.heads(), spec.ffnSize())));
        }
        lnGamma = addParameter(Params.gamma("ln_gamma", spec.dModel()));
        lnBeta = addParameter(Params.beta("ln_beta", spec.dModel()));
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
        NDManager manager = ids.getManager();
        long time = ids.getShape().get(1);
        if (time > spec.maxLength()) {
            throw new IllegalArgumentException("sequence of " + time + " tokens exceeds the context of " + spec.maxLength());
        }
        NDArray x = Ops.embed(ids, ps.getValue(tokenEmbedding, device, training))
                .add(Ops.embed(Ops.positions(manager, 0, time), ps.getValue(positionEmbedding, device, training)));
        NDArray mask = Ops.causalMask(manager, 0, time, time);
        for (TransformerLayer layer : layers) {
            x = layer.forward(ps, new NDList(x, mask), training).singletonOrThrow();
        }
        x = Ops.layerNorm(x, ps.getValue(lnGamma, device, training), ps.getValue(lnBeta, device, training));
        return new NDList(Ops.linear(x, ps.getValue(headWeight, device, training), ps.getValue(headBias, device, training)));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), spec.dModel());
        for (Block layer : layers) {
            layer.initialize(manager, dataType, hidden, new Shape(1, 1, inputShapes[0].get(1), inputShapes[0].get(1)));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), spec.vocabSize())};
    }
}
