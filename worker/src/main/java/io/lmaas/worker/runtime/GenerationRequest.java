package io.lmaas.worker.runtime;

/**
 * What to generate: a prompt, at most {@code maxTokens} new tokens, sampling temperature (0 = greedy),
 * and a seed (same seed + same prompt = same text).
 */
public record GenerationRequest(String prompt, int maxTokens, double temperature, long seed) {

    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1");
        }
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0");
        }
    }
}
