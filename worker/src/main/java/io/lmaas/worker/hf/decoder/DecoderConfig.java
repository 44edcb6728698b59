package io.lmaas.worker.hf.decoder;

import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Llama-family decoder's {@code config.json}, read the way Hugging Face's modeling code reads it (modeling_llama.py,
 * modeling_qwen2.py, modeling_mistral.py): sizes, grouped-query heads, RMSNorm epsilon, rotary embedding (with its
 * scaling), which projections carry biases, tied embeddings. Pure.
 */
public record DecoderConfig(Family family, String architecture, int vocab, int hidden, int intermediate, int layers, int heads,
        int kvHeads, int headDim, float eps, Rope rope, int maxPositions, boolean tiedEmbeddings, boolean qkvBias, boolean outputBias,
        boolean mlpBias, Integer slidingWindow) {

    /** The families served, with their {@code model_type}. */
    public enum Family {
        LLAMA("llama"), QWEN2("qwen2"), MISTRAL("mistral");

        public final String modelType;

        Family(String modelType) {
            this.modelType = modelType;
        }
    }

    /** Rotary position embedding: base {@code theta}, and a scaling of the frequencies (default, linear or llama3). */
    public record Rope(double theta, String type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
    }

    public static final Map<String, Family> ARCHITECTURES = Map.of("LlamaForCausalLM", Family.LLAMA, "Qwen2ForCausalLM",
            Family.QWEN2, "MistralForCausalLM", Family.MISTRAL);

    /** True if the config names a causal language model this worker serves (or any {@code *ForCausalLM}, to refuse clearly). */
    public static boolean isCausalLm(JsonObject config) {
        JsonArray a = config.getJsonArray("architectures", new JsonArray());
        return !a.isEmpty() && String.valueOf(a.getValue(0)).endsWith("ForCausalLM")
                || !a.isEmpty() && String.valueOf(a.getValue(0)).endsWith("LMHeadModel");
    }

    public static DecoderConfig parse(JsonObject c) {
        JsonArray architectures = c.getJsonArray("architectures", new JsonArray());
        String architecture = architectures.isEmpty() ? "" : String.valueOf(architectures.getValue(0));
        Family family = ARCHITECTURES.get(architecture);
        if (family == null) {
            TreeSet<String> supported = new TreeSet<>(ARCHITECTURES.keySet());
            supported.add("GPT2LMHeadModel");
            throw new ModelDirectoryException("config.json: unsupported architecture '" + architecture + "'; supported decoders: "
                    + List.copyOf(supported));
        }
        String act = c.getString("hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw new ModelDirectoryException("config.json: hidden_act '" + act + "' is not served for " + architecture + " (silu)");
        }
        int hidden = positive(c, "hidden_size");
        int heads = positive(c, "num_attention_heads");
        int kvHeads = c.getValue("num_key_value_heads") == null ? heads : positive(c, "num_key_value_heads");
        if (heads % kvHeads != 0) {
            throw new ModelDirectoryException("config.json: num_attention_heads " + heads + " is not a multiple of num_key_value_heads "
                    + kvHeads);
        }
        int headDim = c.getValue("head_dim") instanceof Number n ? n.intValue() : hidden / heads;
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new ModelDirectoryException("config.json: head_dim " + headDim + " must be a positive even number");
        }
        boolean attentionBias = family == Family.QWEN2 || c.getBoolean("attention_bias", false);
        boolean outputBias = family == Family.LLAMA && c.getBoolean("attention_bias", false);
        Integer window = null;
        if (family == Family.MISTRAL && c.getValue("sliding_window") instanceof Number n) {
            window = n.intValue();
        }
        if (family == Family.QWEN2 && c.getBoolean("use_sliding_window", false) && c.getValue("sliding_window") instanceof Number n) {
            window = n.intValue();
        }
        return new DecoderConfig(family, architecture, positive(c, "vocab_size"), hidden, positive(c, "intermediate_size"),
                positive(c, "num_hidden_layers"), heads, kvHeads, headDim,
                ((Number) c.getValue("rms_norm_eps", 1e-6)).floatValue(), rope(c),
                c.getValue("max_position_embeddings") instanceof Number n ? n.intValue() : 2048,
                c.getBoolean("tie_word_embeddings", false), attentionBias, outputBias,
                c.getBoolean("mlp_bias", false), window);
    }

    private static Rope rope(JsonObject c) {
        double theta = ((Number) c.getValue("rope_theta", 10000.0)).doubleValue();
        JsonObject s = c.getJsonObject("rope_scaling");
        if (s == null) {
            return new Rope(theta, "default", 1, 0, 0, 0);
        }
        String type = s.getString("rope_type", s.getString("type", "default"));
        return switch (type) {
            case "default" -> new Rope(theta, "default", 1, 0, 0, 0);
            case "linear" -> new Rope(theta, "linear", number(s, "factor"), 0, 0, 0);
            case "llama3" -> new Rope(theta, "llama3", number(s, "factor"), number(s, "low_freq_factor"), number(s, "high_freq_factor"),
                    (int) number(s, "original_max_position_embeddings"));
            default -> throw new ModelDirectoryException("config.json: rope_scaling type '" + type
                    + "' is not served (default, linear, llama3)");
        };
    }

    private static double number(JsonObject o, String key) {
        if (o.getValue(key) instanceof Number n) {
            return n.doubleValue();
        }
        throw new ModelDirectoryException("config.json: rope_scaling needs a number '" + key + "'");
    }

    private static int positive(JsonObject c, String key) {
        if (c.getValue(key) instanceof Number n && n.intValue() > 0) {
            return n.intValue();
        }
        throw new ModelDirectoryException("config.json: '" + key + "' must be a positive integer");
    }

    public int groups() {
        return heads / kvHeads;
    }
}
