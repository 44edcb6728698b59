package io.lmaas.worker.runtime;

import java.util.List;

/**
 * What to generate: a prompt, at most {@code maxTokens} new tokens, sampling ({@code temperature} 0 =
 * greedy; {@code topP} nucleus; {@code topK} 0 = off), {@code stop} strings that end the text (not
 * included), and a seed (same seed + same prompt = same text).
 */
public record GenerationRequest(String prompt, int maxTokens, double temperature, double topP, int topK, List<String> stop,
        long seed) {
    public static final int MAX_STOPS = 4;

    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1");
        }
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1]");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (stop.size() > MAX_STOPS || stop.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("stop takes up to " + MAX_STOPS + " non-empty strings");
        }
    }

    /** Greedy or plain sampling, no stop strings. */
    public GenerationRequest(String prompt, int maxTokens, double temperature, long seed) {
        this(prompt, maxTokens, temperature, 1.0, 0, List.of(), seed);
    }
}
