package io.lmaas.worker.hf.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.runtime.CausalLm;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2 by its Hugging Face tensor names ({@code transformer.} prefixed, as GPT2LMHeadModel saves, or bare, as the
 * original checkpoints are), written from modeling_gpt2.py: learned positions, pre-norm blocks, Conv1D projections
 * (weights stored (in, out): used as they are, no transpose), the tanh-approximated GELU ({@code gelu_new}), the LM head
 * tied to the token embeddings. Computed in float32; the cache holds every head.
 */
public final class Gpt2Decoder implements CausalLm, AutoCloseable {
    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);
    private final Gpt2Config config;
    private final NDManager manager;
    private final NDArray tokens;
    private final NDArray positions;
    private final NDArray[] finalNorm;
    private final List<NDArray[]> layers = new ArrayList<>();

    public Gpt2Decoder(Gpt2Config config, HfWeights weights, NDManager manager) {
        this.config = config;
        this.manager = manager;
        String p = weights.has("transformer.wte.weight") ? "transformer." : "";
        int h = config.hidden();
        tokens = weights.get(p + "wte.weight", new Shape(config.vocab(), h));
        positions = weights.get(p + "wpe.weight", new Shape(config.positions(), h));
        finalNorm = new NDArray[] {weights.get(p + "ln_f.weight", new Shape(h)), weights.get(p + "ln_f.bias", new Shape(h))};
        for (int i = 0; i < config.layers(); i++) {
            String l = p + "h." + i + ".";
            layers.add(new NDArray[] {
                weights.get(l + "ln_1.weight", new Shape(h)), weights.get(l + "ln_1.bias", new Shape(h)),
                weights.get(l + "attn.c_attn.weight", new Shape(h, 3L * h)), weights.get(l + "attn.c_attn.bias", new Shape(3L * h)),
                weights.get(l + "attn.c_proj.weight", new Shape(h, h)), weights.get(l + "attn.c_proj.bias", new Shape(h)),
                weights.get(l + "ln_2.weight", new Shape(h)), weights.get(l + "ln_2.bias", new Shape(h)),
                weights.get(l + "mlp.c_fc.weight", new Shape(h, config.inner())), weights.get(l + "mlp.c_fc.bias", new Shape(config.inner())),
                weights.get(l + "mlp.c_proj.weight", new Shape(config.inner(), h)), weights.get(l + "mlp.c_proj.bias", new Shape(h))});
        }
    }

    @Override
    public int layers() {
        return layers.size();
    }

    @Override
    public NDList prefill(NDManager m, NDArray ids, NDArray at, NDArray mask, int adapter) {
        NDList out = DecoderOps.prefill(embed(m, ids, at), layers.size(), i -> (x, k, v, length) -> layer(layers.get(i), x, mask, k, v, length));
        out.set(0, logits(DecoderOps.last(out.get(0))).reshape(1, config.vocab()));
        return out;
    }

    @Override
    public NDArray step(NDManager m, NDArray ids, NDArray at, NDArray mask, NDList keys, NDList values, int length, int[] adapters) {
        return logits(DecoderOps.step(embed(m, ids, at), keys, values, length, layers.size(),
                i -> (x, k, v, l) -> layer(layers.get(i), x, mask, k, v, l)));
    }

    private NDArray embed(NDManager m, NDArray ids, NDArray at) {
        return DecoderOps.inRequest(tokens.get(ids), m).add(DecoderOps.inRequest(positions.get(at), m));
    }

    private NDArray[] layer(NDArray[] w, NDArray x, NDArray mask, NDArray keys, NDArray values, int length) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.heads();
        int d = config.headDim();
        NDList qkv = conv1d(norm(x, w[0], w[1]), w[2], w[3]).split(3, 2);
        NDArray q = qkv.get(0).reshape(b, t, heads, d).transpose(0, 2, 1, 3).mul((float) (1.0 / Math.sqrt(d)));
        NDArray k = qkv.get(1).reshape(b, t, heads, d).transpose(0, 2, 1, 3);
        NDArray v = qkv.get(2).reshape(b, t, heads, d).transpose(0, 2, 1, 3);
        NDArray[] attention = DecoderOps.attention(q, k, v, mask, keys, values, length);
        NDArray attended = x.add(conv1d(attention[0], w[4], w[5]));
        NDArray out = attended.add(conv1d(activation(conv1d(norm(attended, w[6], w[7]), w[8], w[9])), w[10], w[11]));
        return keys == null ? new NDArray[] {out, attention[1], attention[2]} : new NDArray[] {out};
    }

    /** Conv1D as GPT-2 defines it: x @ W + b, W stored (in, out). */
    private static NDArray conv1d(NDArray x, NDArray weight, NDArray bias) {
        return x.matMul(weight).add(bias);
    }

    private NDArray norm(NDArray x, NDArray gamma, NDArray beta) {
        return x.getNDArrayInternal().layerNorm(x, gamma.getShape(), gamma, beta, config.eps()).singletonOrThrow();
    }

    private NDArray activation(NDArray x) {
        return switch (config.activation()) {
            case "relu" -> Activation.relu(x);
            case "gelu" -> Activation.gelu(x);
            // gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            default -> x.mul(x.pow(3).mul(0.044715f).add(x).mul(GELU_C).tanh().add(1f)).mul(0.5f);
        };
    }

    private NDArray logits(NDArray x) {
        return Linear.linear(norm(x, finalNorm[0], finalNorm[1]), tokens, null).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
