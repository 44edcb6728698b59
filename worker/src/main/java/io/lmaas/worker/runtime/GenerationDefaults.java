package io.lmaas.worker.runtime;

import io.vertx.core.json.JsonObject;

/**
 * Sampling defaults a checkpoint ships in {@code generation_config.json}: used when a request leaves them out (null:
 * the platform's own default).
 */
public record GenerationDefaults(Double temperature, Double topP, Integer topK) {
    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null);

    /** Reads {@code temperature}, {@code top_p} and {@code top_k}; greedy checkpoints ({@code do_sample} false) default to 0. */
    public static GenerationDefaults of(JsonObject generationConfig) {
        if (generationConfig == null) {
            return NONE;
        }
        Double temperature = generationConfig.getValue("temperature") instanceof Number n ? n.doubleValue() : null;
        if (Boolean.FALSE.equals(generationConfig.getValue("do_sample"))) {
            temperature = 0.0;
        }
        return new GenerationDefaults(temperature,
                generationConfig.getValue("top_p") instanceof Number n ? n.doubleValue() : null,
                generationConfig.getValue("top_k") instanceof Number n ? n.intValue() : null);
    }
}
