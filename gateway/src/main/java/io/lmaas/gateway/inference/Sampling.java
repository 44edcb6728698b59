package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The generation options completions and chat completions share, OpenAI's names: {@code max_tokens}
 * (chat also {@code max_completion_tokens}; default 16), {@code temperature} (0..2), {@code top_p},
 * {@code top_k} (an extension), {@code stop} (string or up to 4), {@code seed}, {@code stream} with
 * {@code stream_options.include_usage}. Options OpenAI has that are not honoured are refused with
 * {@code unsupported_parameter} rather than silently ignored (pure parsing).
 */
public record Sampling(int maxTokens, double temperature, double topP, int topK, List<String> stop, long seed, boolean stream,
        boolean includeUsage) {
    public static final int MAX_TOKENS = 4096;
    private static final Set<String> UNSUPPORTED = Set.of("suffix", "logprobs", "top_logprobs", "echo", "best_of", "logit_bias",
            "tools", "functions", "tool_choice", "function_call", "audio", "modalities", "prediction");

    public static Sampling parse(JsonObject body) {
        int maxTokens = body.getValue("max_completion_tokens") != null
                ? Requests.integer(body, "max_completion_tokens", 16, 1, MAX_TOKENS)
                : Requests.integer(body, "max_tokens", 16, 1, MAX_TOKENS);
        double temperature = Requests.number(body, "temperature", 1.0, 0, 2);
        double topP = Requests.number(body, "top_p", 1.0, 0, 1);
        if (topP == 0) {
            throw ApiException.invalidParam("top_p", "'top_p' must be greater than 0");
        }
        int topK = Requests.integer(body, "top_k", 0, 0, 100_000);
        long seed = body.getValue("seed") == null ? ThreadLocalRandom.current().nextLong() : Requests.longValue(body, "seed");
        Object streamRaw = body.getValue("stream");
        if (streamRaw != null && !(streamRaw instanceof Boolean)) {
            throw ApiException.invalidParam("stream", "'stream' must be true or false");
        }
        boolean stream = Boolean.TRUE.equals(streamRaw);
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
        if (Requests.integer(body, "n", 1, 1, 128) != 1) {
            throw unsupported("n", "only n = 1 is supported");
        }
        if (Requests.number(body, "presence_penalty", 0, -2, 2) != 0 || Requests.number(body, "frequency_penalty", 0, -2, 2) != 0) {
            throw unsupported("presence_penalty", "presence and frequency penalties are not supported yet");
        }
        for (String name : UNSUPPORTED) {
            Object v = body.getValue(name);
            boolean harmless = v == null || Boolean.FALSE.equals(v) || (v instanceof Number n && n.intValue() <= 1
                    && (name.equals("best_of") || name.equals("top_logprobs"))) || (v instanceof JsonArray a && a.isEmpty());
            if (!harmless) {
                throw unsupported(name, "'" + name + "' is not supported");
            }
        }
        Object format = body.getValue("response_format");
        if (format != null && !(format instanceof JsonObject f && "text".equals(f.getString("type")))) {
            throw unsupported("response_format", "only response_format {\"type\":\"text\"} is supported");
        }
        return new Sampling(maxTokens, temperature, topP, topK, stops(body.getValue("stop")), seed, stream, includeUsage);
    }

    private static List<String> stops(Object raw) {
        if (raw == null) {
            return List.of();
        }
        if (raw instanceof String s && !s.isEmpty()) {
            return List.of(s);
        }
        if (raw instanceof JsonArray a && a.size() <= 4) {
            List<String> out = new ArrayList<>();
            for (Object o : a) {
                if (!(o instanceof String s) || s.isEmpty()) {
                    throw ApiException.invalidParam("stop", "'stop' must hold non-empty strings");
                }
                out.add(s);
            }
            return List.copyOf(out);
        }
        throw ApiException.invalidParam("stop", "'stop' must be a non-empty string or an array of up to 4 of them");
    }

    /** The fields the worker's {@code /v1/generate} takes. */
    JsonObject toWorker(JsonObject into) {
        return into.put("max_tokens", maxTokens).put("temperature", temperature).put("top_p", topP).put("top_k", topK)
                .put("stop", new JsonArray(new ArrayList<>(stop))).put("seed", seed).put("stream", stream);
    }

    static ApiException unsupported(String param, String message) {
        return ApiException.badRequest("unsupported_parameter", param, message);
    }
}
