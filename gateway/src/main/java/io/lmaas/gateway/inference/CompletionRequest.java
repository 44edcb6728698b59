package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/completions} body, OpenAI's shape: {@code model}, {@code prompt} (string or array of
 * strings: one choice each; one per stream) and the {@link Sampling} options (pure parsing).
 */
public record CompletionRequest(String model, List<String> prompts, Sampling sampling) {
    public static final int MAX_PROMPTS = 32;

    /** Upper bound of the tokens: every prompt's UTF-8 bytes (plus two) and {@code max_tokens} per prompt. */
    public long tokenBound() {
        long total = 0;
        for (String p : prompts) {
            total += Requests.utf8Length(p) + 2 + sampling.maxTokens();
        }
        return total;
    }

    /** One worker {@code /v1/generate} body per prompt. */
    public List<JsonObject> workerBodies() {
        return prompts.stream().map(p -> sampling.toWorker(new JsonObject().put("prompt", p))).toList();
    }

    public boolean stream() {
        return sampling.stream();
    }

    public static CompletionRequest parse(JsonObject body) {
        String model = Requests.model(body);
        List<String> prompts = prompts(body.getValue("prompt"));
        Sampling sampling = Sampling.parse(body);
        if (sampling.stream() && prompts.size() > 1) {
            throw Sampling.unsupported("prompt", "a streamed completion takes one prompt");
        }
        return new CompletionRequest(model, prompts, sampling);
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
}
