package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/chat/completions} body, OpenAI's shape: {@code model}, {@code messages} (role
 * {@code system|developer|user|assistant}, content a string or text parts) and the {@link Sampling}
 * options. The model version's chat template turns the messages into its prompt (pure parsing).
 */
public record ChatRequest(String model, JsonArray messages, Sampling sampling) {
    public static final int MAX_MESSAGES = 256;
    /** Room for what a chat template adds around each message (role markers), in bytes. */
    static final int TEMPLATE_ALLOWANCE = 64;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    public long tokenBound() {
        long bytes = TEMPLATE_ALLOWANCE;
        for (Object o : messages) {
            bytes += Requests.utf8Length(((JsonObject) o).getString("content")) + TEMPLATE_ALLOWANCE;
        }
        return bytes + sampling.maxTokens();
    }

    public static ChatRequest parse(JsonObject body) {
        String model = Requests.model(body);
        Object raw = body.getValue("messages");
        if (raw == null) {
            throw ApiException.missingParam("messages");
        }
        if (!(raw instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_MESSAGES) {
            throw ApiException.invalidParam("messages", "'messages' must be an array of 1 to " + MAX_MESSAGES + " messages");
        }
        JsonArray normalized = new JsonArray();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof JsonObject m)) {
                throw ApiException.invalidParam("messages", "messages[" + i + "] must be an object");
            }
            String role = m.getValue("role") instanceof String r ? r : null;
            if (role == null || !ROLES.contains(role)) {
                throw ApiException.invalidParam("messages", "messages[" + i + "].role must be one of system, developer, user, assistant");
            }
            normalized.add(new JsonObject().put("role", role).put("content", content(m.getValue("content"), i)));
        }
        return new ChatRequest(model, normalized, Sampling.parse(body));
    }

    private static String content(Object raw, int i) {
        if (raw instanceof String s) {
            return s;
        }
        if (raw instanceof JsonArray parts) {
            List<String> texts = new ArrayList<>();
            for (Object p : parts) {
                if (!(p instanceof JsonObject part) || !"text".equals(part.getString("type"))
                        || !(part.getValue("text") instanceof String text)) {
                    throw ApiException.badRequest("unsupported_parameter", "messages",
                            "messages[" + i + "].content: only text parts are supported");
                }
                texts.add(text);
            }
            return String.join("", texts);
        }
        throw ApiException.invalidParam("messages", "messages[" + i + "].content must be a string or an array of text parts");
    }
}
