package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /v1/completions} body, OpenAI's shape: {@code model}, {@code prompt} (string or array of
 * strings: one choice each), {@code max_tokens} (default 16), {@code temperature} (0..2, default 1),
 * {@code seed}, {@code stream} with {@code stream_options.include_usage} (one prompt per stream).
 * Parameters OpenAI has but this gateway does not yet honour are refused with
 * {@code unsupported_parameter} rather than silently ignored (pure parsing).
 */
public record CompletionRequest(String model, List<String> prompts, int maxTokens, double temperature, long seed,
        boolean stream, boolean includeUsage) {
    public static final int MAX_TOKENS = 4096;
    public static final int MAX_PROMPTS = 32;
    private static final Set<String> UNSUPPORTED = Set.of("suffix", "logprobs", "echo", "best_of", "logit_bias");

    /** Upper bound of the tokens: every prompt's UTF-8 bytes (plus two) and {@code max_tokens} per prompt. */
    public long tokenBound() {
        long total = 0;
        for (String p : prompts) {
            total += Requests.utf8Length(p) + 2 + maxTokens;
        }
        return total;
    }

    public static CompletionRequest parse(JsonObject body) {
        String model = Requests.model(body);
        List<String> prompts = prompts(body.getValue("prompt"));
        int maxTokens = Requests.integer(body, "max_tokens", 16, 1, MAX_TOKENS);
        double temperature = Requests.number(body, "temperature", 1.0, 0, 2);
        long seed = body.getValue("seed") == null ? ThreadLocalRandom.current().nextLong()
                : Requests.longValue(body, "seed");
        Object streamRaw = body.getValue("stream");
        if (streamRaw != null && !(streamRaw instanceof Boolean)) {
            throw ApiException.invalidParam("stream", "'stream' must be true or false");
        }
        boolean stream = Boolean.TRUE.equals(streamRaw);
        if (stream && prompts.size() > 1) {
            throw unsupported("prompt", "a streamed completion takes one prompt");
        }
        boolean includeUsage = false;
        Object options = body.getValue("stream_options");
        if (options != null) {
            if (!(options instanceof JsonObject o) || (o.getValue("include_usage") != null
                    && !(o.getValue("include_usage") instanceof Boolean))) {
                throw ApiException.invalidParam("stream_options", "'stream_options' must be {\"include_usage\": true|false}");
            }
            if (!stream) {
                throw ApiException.invalidParam("stream_options", "'stream_options' is only allowed with stream: true");
            }
            includeUsage = Boolean.TRUE.equals(o.getValue("include_usage"));
        }
        if (body.getValue("stop") != null) {
            throw unsupported("stop", "stop sequences are not supported yet");
        }
        if (Requests.number(body, "top_p", 1.0, 0, 1) != 1.0) {
            throw unsupported("top_p", "nucleus sampling (top_p < 1) is not supported yet");
        }
        if (Requests.integer(body, "n", 1, 1, 128) != 1) {
            throw unsupported("n", "only n = 1 is supported");
        }
        if (Requests.number(body, "presence_penalty", 0, -2, 2) != 0 || Requests.number(body, "frequency_penalty", 0, -2, 2) != 0) {
            throw unsupported("presence_penalty", "presence and frequency penalties are not supported yet");
        }
        for (String name : UNSUPPORTED) {
            Object v = body.getValue(name);
            if (v != null && !Boolean.FALSE.equals(v) && !(v instanceof Number n && n.intValue() <= 1 && name.equals("best_of"))) {
                throw unsupported(name, "'" + name + "' is not supported");
            }
        }
        return new CompletionRequest(model, prompts, maxTokens, temperature, seed, stream, includeUsage);
    }

    private static List<String> prompts(Object prompt) {
        if (prompt == null) {
            return List.of("");
        }
        if (prompt instanceof String s) {
            return List.of(s);
        }
        if (prompt instanceof JsonArray array && !array.isEmpty() && array.size() <= MAX_PROMPTS) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < array.size(); i++) {
                if (!(array.getValue(i) instanceof String s)) {
                    throw ApiException.invalidParam("prompt", "prompt[" + i + "] must be a string (token arrays are not supported)");
                }
                out.add(s);
            }
            return List.copyOf(out);
        }
        throw ApiException.invalidParam("prompt", "'prompt' must be a string or an array of 1 to " + MAX_PROMPTS + " strings");
    }

    private static ApiException unsupported(String param, String message) {
        return ApiException.badRequest("unsupported_parameter", param, message);
    }
}
