package io.lmaas.gateway.finetuning;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/fine_tuning/jobs} parsed and checked (pure): base model, files, hyperparameters
 * ({@code "auto"} or a number: epochs 1–50, batch size 1–256, learning-rate multiplier 0.01–10; and, for Hugging Face
 * encoders, LMaaS's {@code freeze_layers} (0–1000 lower layers with the embeddings, or {@code "all"}: only the new head
 * trains), {@code warmup_ratio} 0–0.5 and {@code weight_decay} 0–0.5), suffix, seed, and LMaaS's optional {@code gpu}
 * ({@code {"count", "flavors"}}, for Kubernetes) and {@code priority}.
 */
public record FineTuningRequest(String model, String trainingFile, String validationFile, int epochs, int batchSize,
        double learningRateMultiplier, String suffix, long seed, int gpus, List<String> gpuFlavors, int priority,
        Object freezeLayers, double warmupRatio, double weightDecay, JsonObject lora) {
    /**
     * The projections a LoRA adapter may target: the Llama-family decoders', BERT/RoBERTa/XLM-R's and DistilBERT's (leaf
     * names, as PEFT's target_modules; the job checks them against the base's family).
     */
    static final java.util.Set<String> LORA_TARGETS = java.util.Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
            "up_proj", "down_proj", "query", "key", "value", "dense", "q_lin", "k_lin", "v_lin", "out_lin", "lin1", "lin2");
    public static final int DEFAULT_EPOCHS = 3;
    public static final int DEFAULT_BATCH_SIZE = 16;
    private static final Pattern SUFFIX = Pattern.compile("[a-z0-9][a-z0-9-]{0,17}");

    public static FineTuningRequest parse(JsonObject body) {
        String model = string(body, "model", true);
        String training = string(body, "training_file", true);
        String validation = string(body, "validation_file", false);
        Object hp = hyperparameters(body);
        JsonObject h = hp == null ? new JsonObject() : (JsonObject) hp;
        int epochs = (int) number(h, "n_epochs", DEFAULT_EPOCHS, 1, 50, true);
        int batch = (int) number(h, "batch_size", DEFAULT_BATCH_SIZE, 1, 256, true);
        double lr = number(h, "learning_rate_multiplier", 1.0, 0.01, 10, false);
        Object freeze = "all".equals(h.getValue("freeze_layers")) ? "all" : (Object) (int) number(h, "freeze_layers", 0, 0, 1000, true);
        double warmup = number(h, "warmup_ratio", 0.1, 0, 0.5, false);
        double decay = number(h, "weight_decay", 0.01, 0, 0.5, false);
        // LMaaS's LoRA settings (Hugging Face decoders and encoders are fine-tuned into adapters).
        JsonObject lora = new JsonObject().put("lora_rank", (int) number(h, "lora_rank", 8, 1, 256, true))
                .put("lora_alpha", number(h, "lora_alpha", 16, 0.01, 4096, false))
                .put("lora_dropout", number(h, "lora_dropout", 0.05, 0, 0.9, false));
        Object targets = h.getValue("lora_target_modules");
        Object modules = "auto"; // the base kind's default: a decoder's attention projections, an encoder's query and value
        if (targets != null && !"auto".equals(targets)) {
            if (!(targets instanceof JsonArray list) || list.isEmpty()
                    || !list.stream().allMatch(t -> t instanceof String name && LORA_TARGETS.contains(name))) {
                throw ApiException.invalidParam("hyperparameters.lora_target_modules", "'lora_target_modules' must be \"auto\" or a list of "
                        + new java.util.TreeSet<>(LORA_TARGETS));
            }
            modules = list;
        }
        lora.put("lora_target_modules", modules);
        // A Hugging Face decoder or encoder is fine-tuned into a LoRA adapter unless "lora": false asks for a full fine-tune
        // (a model of its own); freezing layers is a full fine-tune's option.
        Object adapter = h.getValue("lora", true);
        if (!(adapter instanceof Boolean)) {
            throw ApiException.invalidParam("hyperparameters.lora", "'lora' must be true (an adapter) or false (a full fine-tune)");
        }
        if (Boolean.TRUE.equals(adapter) && h.getValue("freeze_layers") != null && !Integer.valueOf(0).equals(freeze)) {
            throw ApiException.invalidParam("hyperparameters.freeze_layers", "'freeze_layers' applies to a full fine-tune: add "
                    + "\"lora\": false (a LoRA adapter leaves every layer of the base as it is)");
        }
        lora.put("lora", adapter);
        String suffix = string(body, "suffix", false);
        if (suffix != null && !SUFFIX.matcher(suffix).matches()) {
            throw ApiException.invalidParam("suffix", "'suffix' must be 1 to 18 lower-case letters, digits or '-'");
        }
        Object seedRaw = body.getValue("seed");
        if (seedRaw != null && !(seedRaw instanceof Integer || seedRaw instanceof Long)) {
            throw ApiException.invalidParam("seed", "'seed' must be an integer");
        }
        long seed = seedRaw == null ? 42 : ((Number) seedRaw).longValue();
        io.lmaas.gateway.gpu.JobResources resources = io.lmaas.gateway.gpu.JobResources.parse(body, 0);
        return new FineTuningRequest(model, training, validation, epochs, batch, lr, suffix, seed, resources.gpus(), resources.flavors(), resources.priority(),
                freeze, warmup, decay, lora);
    }

    /**
     * The hyperparameters: OpenAI's {@code method: {"type": "supervised", "supervised": {"hyperparameters": {...}}}} or the
     * older top-level {@code hyperparameters}, not both. Only supervised fine-tuning is offered (not dpo or reinforcement).
     */
    private static Object hyperparameters(JsonObject body) {
        Object hp = body.getValue("hyperparameters");
        if (hp != null && !(hp instanceof JsonObject)) {
            throw ApiException.invalidParam("hyperparameters", "'hyperparameters' must be an object");
        }
        Object method = body.getValue("method");
        if (method == null) {
            return hp;
        }
        if (!(method instanceof JsonObject m) || !(m.getValue("type") instanceof String type)) {
            throw ApiException.invalidParam("method", "'method' must be {\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {...}}}");
        }
        if (!type.equals("supervised")) {
            throw ApiException.invalidParam("method.type", "'" + type + "' fine-tuning is not offered: only \"supervised\"");
        }
        Object supervised = m.getValue("supervised");
        if (supervised != null && !(supervised instanceof JsonObject)) {
            throw ApiException.invalidParam("method.supervised", "'method.supervised' must be an object");
        }
        Object inner = supervised == null ? null : ((JsonObject) supervised).getValue("hyperparameters");
        if (inner != null && !(inner instanceof JsonObject)) {
            throw ApiException.invalidParam("method.supervised.hyperparameters", "'hyperparameters' must be an object");
        }
        if (inner != null && hp != null) {
            throw ApiException.invalidParam("hyperparameters", "give the hyperparameters once: in 'method.supervised' or at the top level");
        }
        return inner != null ? inner : hp;
    }

    public JsonObject hyperparameters() {
        return new JsonObject().put("n_epochs", epochs).put("batch_size", batchSize).put("learning_rate_multiplier",
                learningRateMultiplier).put("freeze_layers", freezeLayers).put("warmup_ratio", warmupRatio).put("weight_decay", weightDecay)
                .mergeIn(lora);
    }

    private static String string(JsonObject body, String field, boolean required) {
        Object v = body.getValue(field);
        if (v == null) {
            if (required) {
                throw ApiException.missingParam(field);
            }
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw ApiException.invalidParam(field, "'" + field + "' must be a non-empty string");
        }
        return s;
    }

    private static double number(JsonObject h, String field, double auto, double min, double max, boolean integer) {
        Object v = h.getValue(field);
        if (v == null || "auto".equals(v)) {
            return auto;
        }
        if (!(v instanceof Number n) || (integer && n.doubleValue() != Math.rint(n.doubleValue())) || n.doubleValue() < min
                || n.doubleValue() > max) {
            throw ApiException.invalidParam("hyperparameters." + field, "'" + field + "' must be \"auto\"" + (field.equals("freeze_layers")
                    ? ", \"all\"" : "") + " or " + (integer ? "an integer" : "a number") + " from " + fmt(min) + " to " + fmt(max));
        }
        return n.doubleValue();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
