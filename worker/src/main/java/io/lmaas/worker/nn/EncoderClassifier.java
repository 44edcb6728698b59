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
 * Transformer-encoder text classifier (the BERT recipe at small scale): a bidirectional
 * {@link TransformerTrunk}, masked mean pooling over the real tokens, a linear head.
 * Input {@code (ids (B,T) int64, keep (B,T) float32 of 1 = token / 0 = padding)}; output logits (B, classes).
 */
public final class EncoderClassifier extends AbstractBlock {
    private final TransformerSpec spec;
    private final int classes;
    private final TransformerTrunk trunk;
    private final Parameter headWeight;
    private final Parameter headBias;

    public EncoderClassifier(TransformerSpec spec, int classes) {
        this.spec = spec;
        this.classes = classes;
        trunk = addChildBlock("trunk", new TransformerTrunk(spec));
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
        NDArray keep = inputs.get(1);
        return new NDList(head(ps, trunk.forward(ps, new NDList(inputs.get(0), Ops.paddingMask(keep)), training).singletonOrThrow(),
                keep, training));
    }

    /** The token embeddings of {@code ids} (B, T): what explanations scale. */
    public NDArray embedTokens(ParameterStore ps, NDArray ids) {
        return trunk.embedTokens(ps, ids);
    }

    /** Logits (B, classes) from token embeddings (B, T, d) in place of the ids' (inference). */
    public NDArray logitsFromEmbeddings(ParameterStore ps, NDArray tokens, NDArray keep) {
        return head(ps, trunk.encode(ps, tokens, Ops.paddingMask(keep), false), keep, false);
    }

    /** Mean pooling over the kept tokens, then the linear head. */
    private NDArray head(ParameterStore ps, NDArray x, NDArray keep, boolean training) {
        Device device = keep.getDevice();
        NDArray pooled = x.mul(keep.expandDims(-1)).sum(new int[] {1}).div(keep.sum(new int[] {1}, true));
        return Ops.linear(pooled, ps.getValue(headWeight, device, training), ps.getValue(headBias, device, training));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        trunk.initialize(manager, dataType, inputShapes[0], new Shape(inputShapes[0].get(0), 1, 1, inputShapes[0].get(1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), classes)};
    }
}
