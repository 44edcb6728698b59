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
 * Transformer-encoder text classifier (the BERT recipe at small scale): token + learned position
 * embeddings, bidirectional layers, final LayerNorm, masked mean pooling, linear head.
 * Input {@code (ids (B,T) int64, keep (B,T) float32 of 1 = token / 0 = padding)}; output logits (B, classes).
 */
public final class EncoderClassifier extends AbstractBlock {
    private final TransformerSpec spec;
    private final int classes;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final Parameter lnGamma;
    private final Parameter lnBeta;
    private final Parameter headWeight;
    private final Parameter headBias;

    public EncoderClassifier(TransformerSpec spec, int classes) {
        this.spec = spec;
        this.classes = classes;
        tokenEmbedding = addParameter(Params.weight("token_embedding", spec.vocabSize(), spec.dModel()));
        positionEmbedding = addParameter(Params.weight("position_embedding", spec.maxLength(), spec.dModel()));
        for (int i = 0; i < spec.layers(); i++) {
            layers.add(addChildBlock("layer" + i, new TransformerLayer(spec.dModel(), spec.heads(), spec.ffnSize())));
        }
        lnGamma = addParameter(Params.gamma("ln_gamma", spec.dModel()));
        lnBeta = addParameter(Params.beta("ln_beta", spec.dModel()));
        headWeight = addParameter(Params.weight("head_weight", spec.dModel(), classes));
        headBias = addParameter(Params.bias("head_bias", classes));
    }

    public TransformerSpec spec() {
        return spec;
    }

    public int classes() {
        return classes;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray keep = inputs.get(1);
        Device device = ids.getDevice();
        NDManager manager = ids.getManager();
        long time = ids.getShape().get(1);
        NDArray x = Ops.embed(ids, ps.getValue(tokenEmbedding, device, training))
                .add(Ops.embed(Ops.positions(manager, 0, time), ps.getValue(positionEmbedding, device, training)));
        NDArray mask = Ops.paddingMask(keep);
        for (TransformerLayer layer : layers) {
            x = layer.forward(ps, new NDList(x, mask), training).singletonOrThrow();
        }
        x = Ops.layerNorm(x, ps.getValue(lnGamma, device, training), ps.getValue(lnBeta, device, training));
        NDArray pooled = x.mul(keep.expandDims(-1)).sum(new int[] {1}).div(keep.sum(new int[] {1}, true));
        return new NDList(Ops.linear(pooled, ps.getValue(headWeight, device, training), ps.getValue(headBias, device, training)));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), spec.dModel());
        for (Block layer : layers) {
            layer.initialize(manager, dataType, hidden, new Shape(1, 1, 1, inputShapes[0].get(1)));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }
}
