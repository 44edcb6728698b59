package io.lmaas.worker.hf.decoder;

import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** A GPT-2 {@code config.json}, read as modeling_gpt2.py reads it. Pure. */
public record Gpt2Config(int vocab, int hidden, int layers, int heads, int inner, int positions, float eps, String activation) {
    static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh", "gelu", "relu");

    public static Gpt2Config parse(JsonObject c) {
        int hidden = positive(c, "n_embd");
        int heads = positive(c, "n_head");
        if (hidden % heads != 0) {
            throw new ModelDirectoryException("config.json: n_embd " + hidden + " is not a multiple of n_head " + heads);
        }
        String activation = c.getString("activation_function", "gelu_new");
        if (!ACTIVATIONS.contains(activation)) {
            throw new ModelDirectoryException("config.json: activation_function '" + activation + "' is not served " + ACTIVATIONS);
        }
        if (c.getBoolean("scale_attn_by_inverse_layer_idx", false) || !c.getBoolean("scale_attn_weights", true)) {
            throw new ModelDirectoryException("config.json: only GPT-2's standard attention scaling is served "
                    + "(scale_attn_weights true, scale_attn_by_inverse_layer_idx false)");
        }
        int inner = c.getValue("n_inner") instanceof Number n ? n.intValue() : 4 * hidden;
        return new Gpt2Config(positive(c, "vocab_size"), hidden, positive(c, "n_layer"), heads, inner, positive(c, "n_positions"),
                ((Number) c.getValue("layer_norm_epsilon", 1e-5)).floatValue(), activation);
    }

    private static int positive(JsonObject c, String key) {
        if (c.getValue(key) instanceof Number n && n.intValue() > 0) {
            return n.intValue();
        }
        throw new ModelDirectoryException("config.json: '" + key + "' must be a positive integer");
    }

    public int headDim() {
        return hidden / heads;
    }
}
