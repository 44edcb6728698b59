package io.lmaas.worker.hf.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.lora.AdapterBank;
import io.lmaas.worker.runtime.CausalLm;
import java.util.ArrayList;
import java.util.List;

/**
 * Llama, Qwen2 and Mistral decoders by their Hugging Face tensor names, written from modeling_llama.py /
 * modeling_qwen2.py / modeling_mistral.py: RMSNorm, rotary positions ({@link RotaryEmbedding}), grouped-query
 * attention (the cache holds {@code num_key_value_heads}), SwiGLU, optional projection biases, tied embeddings.
 * Computed in float32. For inference the query/key/value and the gate/up projections are each fused into one
 * matrix (the originals are freed). Every op is called on request-side arrays so results land in the request's
 * manager; each layer's intermediates are freed when the layer ends.
 */
public final class LlamaFamilyDecoder implements CausalLm, AutoCloseable {
    private final DecoderConfig config;
    private final NDManager manager;
    private final NDArray embeddings;
    private final NDArray lmHead;
    private final NDArray finalNorm;
    private final NDArray cos;
    private final NDArray sin;
    private final List<Layer> layers = new ArrayList<>();
    private final AdapterBank adapters;

    /** What LoRA adds to a projection's output for input x: null when nothing applies. */
    @FunctionalInterface
    public interface Deltas {
        NDArray delta(int layer, String module, NDArray x);
    }

    private record Layer(NDArray inputNorm, NDArray qkv, NDArray qkvBias, NDArray out, NDArray outBias, NDArray postNorm,
            NDArray gateUp, NDArray gateUpBias, NDArray down, NDArray downBias) {
    }

    /**
     * Takes the tensors it needs from {@code weights} (held in {@code manager}); rotary tables cover {@code positions};
     * up to {@code maxAdapters} LoRA adapters can be held at once.
     */
    public LlamaFamilyDecoder(DecoderConfig config, HfWeights weights, NDManager manager, int positions, int maxAdapters) {
        this.config = config;
        this.manager = manager;
        this.adapters = new AdapterBank(config, manager, maxAdapters);
        int h = config.hidden();
        int q = config.heads() * config.headDim();
        int kv = config.kvHeads() * config.headDim();
        embeddings = weights.get("model.embed_tokens.weight", new Shape(config.vocab(), h));
        finalNorm = weights.get("model.norm.weight", new Shape(h));
        lmHead = weights.has("lm_head.weight") ? weights.get("lm_head.weight", new Shape(config.vocab(), h))
                : config.tiedEmbeddings() ? embeddings : weights.get("lm_head.weight", new Shape(config.vocab(), h));
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            NDArray qkv = DecoderOps.fuse(manager, 0, weights.get(p + "self_attn.q_proj.weight", new Shape(q, h)),
                    weights.get(p + "self_attn.k_proj.weight", new Shape(kv, h)), weights.get(p + "self_attn.v_proj.weight", new Shape(kv, h)));
            NDArray qkvBias = config.qkvBias() ? DecoderOps.fuse(manager, 0, weights.get(p + "self_attn.q_proj.bias", new Shape(q)),
                    weights.get(p + "self_attn.k_proj.bias", new Shape(kv)), weights.get(p + "self_attn.v_proj.bias", new Shape(kv))) : null;
            int inter = config.intermediate();
            NDArray gateUp = DecoderOps.fuse(manager, 0, weights.get(p + "mlp.gate_proj.weight", new Shape(inter, h)),
                    weights.get(p + "mlp.up_proj.weight", new Shape(inter, h)));
            NDArray gateUpBias = config.mlpBias() ? DecoderOps.fuse(manager, 0, weights.get(p + "mlp.gate_proj.bias", new Shape(inter)),
                    weights.get(p + "mlp.up_proj.bias", new Shape(inter))) : null;
            layers.add(new Layer(weights.get(p + "input_layernorm.weight", new Shape(h)), qkv, qkvBias,
                    weights.get(p + "self_attn.o_proj.weight", new Shape(h, q)),
                    config.outputBias() ? weights.get(p + "self_attn.o_proj.bias", new Shape(h)) : null,
                    weights.get(p + "post_attention_layernorm.weight", new Shape(h)), gateUp, gateUpBias,
                    weights.get(p + "mlp.down_proj.weight", new Shape(h, inter)),
                    config.mlpBias() ? weights.get(p + "mlp.down_proj.bias", new Shape(h)) : null));
        }
        float[][] tables = RotaryEmbedding.tables(config.rope(), config.headDim(), positions);
        cos = DecoderOps.owned(manager, manager.create(tables[0], new Shape(positions, config.headDim())));
        sin = DecoderOps.owned(manager, manager.create(tables[1], new Shape(positions, config.headDim())));
    }

    public DecoderConfig config() {
        return config;
    }

    /** Every weight as held (the fused projections under names of their own): what a full fine-tune trains. */
    public java.util.Map<String, NDArray> weights() {
        java.util.Map<String, NDArray> out = new java.util.LinkedHashMap<>();
        out.put("model.embed_tokens.weight", embeddings);
        out.put("model.norm.weight", finalNorm);
        if (lmHead != embeddings) {
            out.put("lm_head.weight", lmHead);
        }
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "model.layers." + i + ".";
            out.put(p + "input_layernorm.weight", l.inputNorm());
            out.put(p + "post_attention_layernorm.weight", l.postNorm());
            out.put(p + "self_attn.qkv.weight", l.qkv());
            out.put(p + "self_attn.o_proj.weight", l.out());
            out.put(p + "mlp.gate_up.weight", l.gateUp());
            out.put(p + "mlp.down_proj.weight", l.down());
            putBias(out, p + "self_attn.qkv.bias", l.qkvBias());
            putBias(out, p + "self_attn.o_proj.bias", l.outBias());
            putBias(out, p + "mlp.gate_up.bias", l.gateUpBias());
            putBias(out, p + "mlp.down_proj.bias", l.downBias());
        }
        return out;
    }

    /** A bias where the family has one. */
    private static void putBias(java.util.Map<String, NDArray> out, String name, NDArray bias) {
        if (bias != null) {
            out.put(name, bias);
        }
    }

    /** The weights under Hugging Face's own names (fused projections split back), as float32 tensors for a checkpoint. */
    public java.util.Map<String, io.lmaas.worker.hf.SafetensorsWriter.Tensor> checkpoint() {
        int q = config.heads() * config.headDim();
        int kv = config.kvHeads() * config.headDim();
        int inter = config.intermediate();
        java.util.Map<String, io.lmaas.worker.hf.SafetensorsWriter.Tensor> out = new java.util.LinkedHashMap<>();
        for (var e : weights().entrySet()) {
            String name = e.getKey();
            NDArray a = e.getValue();
            if (name.contains(".qkv.")) {
                String kind = name.substring(name.lastIndexOf('.'));
                split(out, a, name.replace("self_attn.qkv" + kind, ""), kind, new String[] {"self_attn.q_proj", "self_attn.k_proj",
                    "self_attn.v_proj"}, new long[] {q, kv, kv});
            } else if (name.contains(".gate_up.")) {
                String kind = name.substring(name.lastIndexOf('.'));
                split(out, a, name.replace("mlp.gate_up" + kind, ""), kind, new String[] {"mlp.gate_proj", "mlp.up_proj"},
                        new long[] {inter, inter});
            } else {
                out.put(name, new io.lmaas.worker.hf.SafetensorsWriter.Tensor(a.getShape().getShape(), a.toFloatArray()));
            }
        }
        return out;
    }

    private static void split(java.util.Map<String, io.lmaas.worker.hf.SafetensorsWriter.Tensor> out, NDArray fused, String prefix,
            String kind, String[] names, long[] rows) {
        long start = 0;
        for (int i = 0; i < names.length; i++) {
            try (NDArray part = fused.get(start + ":" + (start + rows[i]))) {
                out.put(prefix + names[i] + kind, new io.lmaas.worker.hf.SafetensorsWriter.Tensor(part.getShape().getShape(),
                        part.toFloatArray()));
            }
            start += rows[i];
        }
    }

    @Override
    public int layers() {
        return layers.size();
    }

    @Override
    public AdapterBank adapters() {
        return adapters;
    }

    /** The rows' adapter slots as an index array, or null when no row uses an adapter (nothing to add). */
    private static NDArray slots(NDManager m, int[] rows) {
        for (int slot : rows) {
            if (slot != 0) {
                long[] ids = new long[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    ids[i] = rows[i];
                }
                return m.create(ids);
            }
        }
        return null;
    }

    @Override
    public NDList prefill(NDManager m, NDArray ids, NDArray positions, NDArray mask, int adapter) {
        NDArray[] rope = rope(m, positions);
        Deltas deltas = bankDeltas(m, slots(m, new int[] {adapter}));
        NDList out = DecoderOps.prefill(DecoderOps.inRequest(embeddings.get(ids), m), layers.size(),
                i -> (x, keys, values, length) -> layer(i, x, rope, mask, deltas, keys, values, length));
        out.set(0, logits(DecoderOps.last(out.get(0))).reshape(1, config.vocab()));
        return out;
    }

    @Override
    public NDArray step(NDManager m, NDArray ids, NDArray positions, NDArray mask, NDList keys, NDList values, int length,
            int[] adapterSlots) {
        NDArray[] rope = rope(m, positions);
        Deltas deltas = bankDeltas(m, slots(m, adapterSlots));
        return logits(DecoderOps.step(DecoderOps.inRequest(embeddings.get(ids), m), keys, values, length, layers.size(),
                i -> (x, k, v, at) -> layer(i, x, rope, mask, deltas, k, v, at)));
    }

    /** The bank's adapters for rows in {@code slots} (null: no row uses one). */
    private Deltas bankDeltas(NDManager m, NDArray rows) {
        return rows == null ? null : (layer, module, x) -> adapters.delta(m, layer, module, x, rows);
    }

    /**
     * Logits (B, T, vocab) at every position of {@code ids} (B, T) in one pass, positions (B, T), additive {@code mask}
     * (B, 1, T, T) — causal and padding — with {@code deltas} (trainable LoRA factors, or null) added to the
     * projections: the forward of a fine-tune, recorded by autograd when a gradient collector is open.
     */
    public NDArray logitsForTraining(NDManager m, NDArray ids, NDArray positions, NDArray mask, Deltas deltas) {
        NDArray[] rope = rope(m, positions);
        NDList out = DecoderOps.prefill(DecoderOps.inRequest(embeddings.get(ids), m), layers.size(),
                i -> (x, keys, values, length) -> layer(i, x, rope, mask, deltas, keys, values, length));
        return logits(out.get(0));
    }

    /** Vocabulary scores for hidden states (B, T, hidden): final RMSNorm, then the LM head. */
    private NDArray logits(NDArray x) {
        return Linear.linear(rms(x, finalNorm), lmHead, null).singletonOrThrow();
    }

    /** cos and sin rows for each position, shaped (B, 1, T, head size) to broadcast over heads. */
    private NDArray[] rope(NDManager m, NDArray positions) {
        return new NDArray[] {DecoderOps.inRequest(cos.get(positions), m).expandDims(1), DecoderOps.inRequest(sin.get(positions), m).expandDims(1)};
    }

    /**
     * One decoder layer. With {@code keys}/{@code values} null it is a prefill: returns (x', k, v) with k, v (B, kv heads,
     * T, head size). Otherwise a decode step writes this position's key and value at column {@code length} of the
     * buffers and attends over columns 0..length; returns (x').
     */
    private NDArray[] layer(int index, NDArray x, NDArray[] rope, NDArray mask, Deltas rows, NDArray keys, NDArray values,
            int length) {
        Layer l = layers.get(index);
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.heads();
        int kvHeads = config.kvHeads();
        int d = config.headDim();
        NDArray h = rms(x, l.inputNorm());
        NDList parts = Linear.linear(h, l.qkv(), l.qkvBias()).singletonOrThrow()
                .split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
        NDArray q = adapted(index, "q_proj", h, parts.get(0), rows);
        NDArray k = adapted(index, "k_proj", h, parts.get(1), rows);
        NDArray v = adapted(index, "v_proj", h, parts.get(2), rows);
        q = rotate(q.reshape(b, t, heads, d).transpose(0, 2, 1, 3), rope).mul((float) (1.0 / Math.sqrt(d)));
        k = rotate(k.reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3), rope);
        v = v.reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3);
        NDArray[] attention = DecoderOps.attention(q, k, v, mask, keys, values, length);
        NDArray attended = x.add(adapted(index, "o_proj", attention[0],
                Linear.linear(attention[0], l.out(), l.outBias()).singletonOrThrow(), rows));
        NDArray h2 = rms(attended, l.postNorm());
        NDList gateUp = Linear.linear(h2, l.gateUp(), l.gateUpBias()).singletonOrThrow().split(2, 2);
        NDArray gated = Activation.swish(adapted(index, "gate_proj", h2, gateUp.get(0), rows), 1f)
                .mul(adapted(index, "up_proj", h2, gateUp.get(1), rows));
        NDArray out = attended.add(adapted(index, "down_proj", gated,
                Linear.linear(gated, l.down(), l.downBias()).singletonOrThrow(), rows));
        return keys == null ? new NDArray[] {out, attention[1], attention[2]} : new NDArray[] {out};
    }

    /** A projection's output {@code y} of input {@code x}, plus the rows' LoRA adapters' {@code x A B} where any applies. */
    private NDArray adapted(int layer, String module, NDArray x, NDArray y, Deltas deltas) {
        if (deltas == null) {
            return y;
        }
        NDArray delta = deltas.delta(layer, module, x);
        return delta == null ? y : y.add(delta);
    }

    /** Hugging Face's {@code q * cos + rotate_half(q) * sin}, rotate_half(x) = cat(-x2, x1) over the two halves. */
    private static NDArray rotate(NDArray x, NDArray[] rope) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(rope[0]).add(rotated.mul(rope[1]));
    }

    /** RMSNorm as Llama's: x / sqrt(mean(x²) + eps) × weight. */
    private NDArray rms(NDArray x, NDArray weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.mul(variance.add(config.eps()).sqrt().pow(-1)).mul(weight);
    }

    @Override
    public void close() {
        adapters.close();
        manager.close();
    }
}
