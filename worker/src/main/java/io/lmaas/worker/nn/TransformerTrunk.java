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
 * What the built-in architectures share: token + learned position embeddings, a stack of
 * {@link TransformerLayer}s, a final LayerNorm. Input {@code (ids (B,T) int64, additive mask)}; output the
 * hidden states (B, T, d). The heads (classifier pooling, language-model projection) sit on top.
 */
public final class TransformerTrunk extends AbstractBlock {
    private final TransformerSpec spec;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final Parameter lnGamma;
    private final Parameter lnBeta;

    public TransformerTrunk(TransformerSpec spec) {
        this.spec = spec;
        tokenEmbedding = addParameter(Params.weight("token_embedding", spec.vocabSize(), spec.dModel()));
        positionEmbedding = addParameter(Params.weight("position_embedding", spec.maxLength(), spec.dModel()));
        for (int i = 0; i < spec.layers(); i++) {
            layers.add(addChildBlock("layer" + i, new TransformerLayer(spec.dModel(), spec.heads(), spec.ffnSize())));
        }
        lnGamma = addParameter(Params.gamma("ln_gamma", spec.dModel()));
        lnBeta = addParameter(Params.beta("ln_beta", spec.dModel()));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.get(1);
        Device device = ids.getDevice();
        long time = ids.getShape().get(1);
        if (time > spec.maxLength()) {
            throw new IllegalArgumentException("sequence of " + time + " tokens exceeds the context of " + spec.maxLength());
        }
        NDArray x = Ops.embed(ids, ps.getValue(tokenEmbedding, device, training))
                .add(Ops.embed(Ops.positions(ids.getManager(), 0, time), ps.getValue(positionEmbedding, device, training)));
        for (TransformerLayer layer : layers) {
            x = layer.forward(ps, new NDList(x, mask), training).singletonOrThrow();
        }
        return new NDList(Ops.layerNorm(x, ps.getValue(lnGamma, device, training), ps.getValue(lnBeta, device, training)));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), spec.dModel());
        for (Block layer : layers) {
            layer.initialize(manager, dataType, hidden, inputShapes[1]);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), spec.dModel())};
    }
}
