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
        return new NDList(encode(ps, Ops.embed(ids, ps.getValue(tokenEmbedding, device, training)), mask, training));
    }

    /** The token embeddings of {@code ids} (B, T) int64: (B, T, d), what explanations scale. */
    public NDArray embedTokens(ParameterStore ps, NDArray ids) {
        return Ops.embed(ids, ps.getValue(tokenEmbedding, ids.getDevice(), false));
    }

    /** The hidden states (B, T, d) from token embeddings (B, T, d) — positions are added here — under {@code mask}. */
    public NDArray encode(ParameterStore ps, NDArray tokens, NDArray mask, boolean training) {
        Device device = tokens.getDevice();
        long time = tokens.getShape().get(1);
        NDArray x = tokens.add(Ops.embed(Ops.positions(tokens.getManager(), 0, time), ps.getValue(positionEmbedding, device, training)));
        for (TransformerLayer layer : layers) {
            x = layer.forward(ps, new NDList(x, mask), training).singletonOrThrow();
        }
        return Ops.layerNorm(x, ps.getValue(lnGamma, device, training), ps.getValue(lnBeta, device, training));
    }

    /**
     * Cached inference: new tokens {@code ids} (B, Tn) at absolute {@code positions} (B, Tn) int64, past
     * keys/values per layer (or null for a prefill). Returns the hidden states (B, Tn, d) followed by the
     * new keys and values per layer: {@code [h, k0, v0, k1, v1, ...]}.
     */
    public NDList forwardCached(ParameterStore ps, NDArray ids, NDArray positions, NDArray mask, NDList pastK, NDList pastV) {
        Device device = ids.getDevice();
        NDArray x = Ops.embed(ids, ps.getValue(tokenEmbedding, device, false))
                .add(Ops.embed(positions, ps.getValue(positionEmbedding, device, false)));
        NDList out = new NDList(1 + 2 * layers.size());
        out.add(null);
        for (int i = 0; i < layers.size(); i++) {
            NDList r = layers.get(i).forwardCached(ps, x, mask, pastK == null ? null : pastK.get(i),
                    pastV == null ? null : pastV.get(i));
            x = r.get(0);
            out.add(r.get(1));
            out.add(r.get(2));
        }
        out.set(0, Ops.layerNorm(x, ps.getValue(lnGamma, device, false), ps.getValue(lnBeta, device, false)));
        return out;
    }

    /** One decode step on preallocated caches (see {@link TransformerLayer#forwardStep}); returns hidden states. */
    public NDArray forwardStep(ParameterStore ps, NDArray ids, NDArray positions, NDArray mask, NDList keys, NDList values,
            int length) {
        Device device = ids.getDevice();
        NDArray x = Ops.embed(ids, ps.getValue(tokenEmbedding, device, false))
                .add(Ops.embed(positions, ps.getValue(positionEmbedding, device, false)));
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forwardStep(ps, x, mask, keys.get(i), values.get(i), length);
        }
        return Ops.layerNorm(x, ps.getValue(lnGamma, device, false), ps.getValue(lnBeta, device, false));
    }

    public int layerCount() {
        return layers.size();
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
