package io.lmaas.worker.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-LayerNorm Transformer layer: {@code x + Attn(LN(x)) ; x + MLP(LN(x))}, multi-head scaled
 * dot-product attention with an additive mask. Input {@code (x (B,T,d), mask)}, output {@code (x)}.
 * Written out in NDArray operations (DJL's own Transformer blocks use BatchNorm and break at batch 1).
 */
public final class TransformerLayer extends AbstractBlock {
    private final int dModel;
    private final int heads;
    private final Parameter ln1Gamma;
    private final Parameter ln1Beta;
    private final Parameter qkvWeight;
    private final Parameter qkvBias;
    private final Parameter outWeight;
    private final Parameter outBias;
    private final Parameter ln2Gamma;
    private final Parameter ln2Beta;
    private final Parameter ffnInWeight;
    private final Parameter ffnInBias;
    private final Parameter ffnOutWeight;
    private final Parameter ffnOutBias;

    public TransformerLayer(int dModel, int heads, int ffnSize) {
        this.dModel = dModel;
        this.heads = heads;
        ln1Gamma = addParameter(Params.gamma("ln1_gamma", dModel));
        ln1Beta = addParameter(Params.beta("ln1_beta", dModel));
        qkvWeight = addParameter(Params.weight("qkv_weight", dModel, 3L * dModel));
        qkvBias = addParameter(Params.bias("qkv_bias", 3L * dModel));
        outWeight = addParameter(Params.weight("out_weight", dModel, dModel));
        outBias = addParameter(Params.bias("out_bias", dModel));
        ln2Gamma = addParameter(Params.gamma("ln2_gamma", dModel));
        ln2Beta = addParameter(Params.beta("ln2_beta", dModel));
        ffnInWeight = addParameter(Params.weight("ffn_in_weight", dModel, ffnSize));
        ffnInBias = addParameter(Params.bias("ffn_in_bias", ffnSize));
        ffnOutWeight = addParameter(Params.weight("ffn_out_weight", ffnSize, dModel));
        ffnOutBias = addParameter(Params.bias("ffn_out_bias", dModel));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray mask = inputs.get(1);
        Device device = x.getDevice();
        NDArray h = Ops.layerNorm(x, ps.getValue(ln1Gamma, device, training), ps.getValue(ln1Beta, device, training));
        x = x.add(attention(ps, h, mask, device, training));
        h = Ops.layerNorm(x, ps.getValue(ln2Gamma, device, training), ps.getValue(ln2Beta, device, training));
        NDArray ffn = Activation.gelu(Ops.linear(h, ps.getValue(ffnInWeight, device, training),
                ps.getValue(ffnInBias, device, training)));
        x = x.add(Ops.linear(ffn, ps.getValue(ffnOutWeight, device, training), ps.getValue(ffnOutBias, device, training)));
        return new NDList(x);
    }

    /**
     * Inference with a key/value cache: {@code x} (B, Tn, d) are new positions, {@code pastK}/{@code pastV}
     * (B, H, Tp, dh) the cached ones (or null), {@code mask} additive (B or 1, 1, Tn, Tp + Tn). Returns
     * {@code (x', k, v)} where k, v (B, H, Tn, dh) are the new positions' keys and values to cache.
     */
    public NDList forwardCached(ParameterStore ps, NDArray x, NDArray mask, NDArray pastK, NDArray pastV) {
        Device device = x.getDevice();
        long batch = x.getShape().get(0);
        long time = x.getShape().get(1);
        int headSize = dModel / heads;
        NDArray h = Ops.layerNorm(x, ps.getValue(ln1Gamma, device, false), ps.getValue(ln1Beta, device, false));
        NDList parts = Ops.linear(h, ps.getValue(qkvWeight, device, false), ps.getValue(qkvBias, device, false)).split(3, 2);
        NDArray q = parts.get(0).reshape(batch, time, heads, headSize).transpose(0, 2, 1, 3);
        NDArray k = parts.get(1).reshape(batch, time, heads, headSize).transpose(0, 2, 1, 3);
        NDArray v = parts.get(2).reshape(batch, time, heads, headSize).transpose(0, 2, 1, 3);
        NDArray keys = pastK == null ? k : pastK.concat(k, 2);
        NDArray values = pastV == null ? v : pastV.concat(v, 2);
        NDArray scores = q.matMul(keys.transpose(0, 1, 3, 2)).mul(1f / (float) Math.sqrt(headSize)).add(mask);
        NDArray context = scores.softmax(-1).matMul(values).transpose(0, 2, 1, 3).reshape(batch, time, dModel);
        NDArray out = x.add(Ops.linear(context, ps.getValue(outWeight, device, false), ps.getValue(outBias, device, false)));
        NDArray h2 = Ops.layerNorm(out, ps.getValue(ln2Gamma, device, false), ps.getValue(ln2Beta, device, false));
        NDArray ffn = Activation.gelu(Ops.linear(h2, ps.getValue(ffnInWeight, device, false),
                ps.getValue(ffnInBias, device, false)));
        out = out.add(Ops.linear(ffn, ps.getValue(ffnOutWeight, device, false), ps.getValue(ffnOutBias, device, false)));
        return new NDList(out, k, v);
    }

    /**
     * One decode step on preallocated caches: {@code x} (B, 1, d) is each row's new position; its key and
     * value are written in place at column {@code length} of {@code keys}/{@code values} (B, H, capacity,
     * dh), and attention runs over columns 0..length (a view, no copy) with the additive {@code mask}
     * (B, 1, 1, length + 1).
     */
    public NDArray forwardStep(ParameterStore ps, NDArray x, NDArray mask, NDArray keys, NDArray values, int length) {
        Device device = x.getDevice();
        long batch = x.getShape().get(0);
        int headSize = dModel / heads;
        NDArray h = Ops.layerNorm(x, ps.getValue(ln1Gamma, device, false), ps.getValue(ln1Beta, device, false));
        NDList parts = Ops.linear(h, ps.getValue(qkvWeight, device, false), ps.getValue(qkvBias, device, false)).split(3, 2);
        NDArray q = parts.get(0).reshape(batch, 1, heads, headSize).transpose(0, 2, 1, 3);
        String column = ":, :, " + length + ":" + (length + 1) + ", :";
        keys.set(new NDIndex(column), parts.get(1).reshape(batch, 1, heads, headSize).transpose(0, 2, 1, 3));
        values.set(new NDIndex(column), parts.get(2).reshape(batch, 1, heads, headSize).transpose(0, 2, 1, 3));
        NDIndex upTo = new NDIndex(":, :, :" + (length + 1) + ", :");
        NDArray scores = q.matMul(keys.get(upTo).transpose(0, 1, 3, 2)).mul(1f / (float) Math.sqrt(headSize)).add(mask);
        NDArray context = scores.softmax(-1).matMul(values.get(upTo)).transpose(0, 2, 1, 3).reshape(batch, 1, dModel);
        NDArray out = x.add(Ops.linear(context, ps.getValue(outWeight, device, false), ps.getValue(outBias, device, false)));
        NDArray h2 = Ops.layerNorm(out, ps.getValue(ln2Gamma, device, false), ps.getValue(ln2Beta, device, false));
        NDArray ffn = Activation.gelu(Ops.linear(h2, ps.getValue(ffnInWeight, device, false),
                ps.getValue(ffnInBias, device, false)));
        return out.add(Ops.linear(ffn, ps.getValue(ffnOutWeight, device, false), ps.getValue(ffnOutBias, device, false)));
    }

    private NDArray attention(ParameterStore ps, NDArray h, NDArray mask, Device device, boolean training) {
        long batch = h.getShape().get(0);
        long time = h.getShape().get(1);
        int headSize = dModel / heads;
        NDArray qkv = Ops.linear(h, ps.getValue(qkvWeight, device, training), ps.getValue(qkvBias, device, training));
        NDList parts = qkv.split(3, 2);
        NDArray q = parts.get(0).reshape(batch, time, heads, headSize).transpose(0, 2, 1, 3);
        NDArray kT = parts.get(1).reshape(batch, time, heads, headSize).transpose(0, 2, 3, 1);
        NDArray v = parts.get(2).reshape(batch, time, heads, headSize).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(kT).mul(1f / (float) Math.sqrt(headSize)).add(mask);
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, time, dModel);
        return Ops.linear(context, ps.getValue(outWeight, device, training), ps.getValue(outBias, device, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
