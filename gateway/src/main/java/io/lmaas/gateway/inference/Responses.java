package io.lmaas.gateway.inference;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The bodies of non-streamed inference answers (pure): online and batch requests give the same ones. */
public final class Responses {
    private Responses() {
    }

    /**
     * {@code POST /v1/classifications} from a worker's answer passed on: its items ({@code index, label, score, scores})
     * as the worker wrote them, and usage; the same body as {@link #classification(String, String, JsonArray, int, List, int)}
     * without explanations, written without decoding the items.
     */
    public static Buffer classification(String id, String model, PassedAnswer answer) {
        return usage(Buffer.buffer(answer.data().length() + 128).appendString("{\"id\":").appendString(Json.encode(id))
                .appendString(",\"object\":\"list\",\"model\":").appendString(Json.encode(model))
                .appendString(",\"data\":").appendBuffer(answer.data()), answer.tokens());
    }

    /**
     * With the worker's items decoded ({@code data}, what {@code tokens} tokens cost), and explanations (one per item, or
     * none) and what they cost: {@code usage.prompt_tokens} is the tokens times (1 + steps),
     * {@code usage.explanation_tokens} the part the explanations took.
     */
    public static JsonObject classification(String id, String model, JsonArray data, int tokens,
            List<InferenceService.Explanation> explanations, int steps) {
        for (int i = 0; i < explanations.size() && i < data.size(); i++) {
            data.getJsonObject(i).put("explanation", explanations.get(i).toJson());
        }
        JsonObject usage = new JsonObject().put("prompt_tokens", tokens * (1 + steps)).put("total_tokens", tokens * (1 + steps));
        if (steps > 0) {
            usage.put("explanation_tokens", tokens * steps);
        }
        return new JsonObject()
                .put("id", id)
                .put("object", "list")
                .put("model", model)
                .put("data", data)
                .put("usage", usage);
    }

    /** A {@code text_completion}'s choices, one per prompt. */
    public static JsonArray completionChoices(List<InferenceService.Completed> results) {
        JsonArray choices = new JsonArray();
        for (int i = 0; i < results.size(); i++) {
            InferenceService.Completed c = results.get(i);
            choices.add(new JsonObject().put("text", c.text()).put("index", i).putNull("logprobs").put("finish_reason", c.finishReason()));
        }
        return choices;
    }

    /** {@code POST /v1/completions}: an OpenAI {@code text_completion}. */
    public static JsonObject completion(String id, long created, String model, List<InferenceService.Completed> results) {
        JsonArray choices = completionChoices(results);
        int prompt = results.stream().mapToInt(InferenceService.Completed::promptTokens).sum();
        int completion = results.stream().mapToInt(InferenceService.Completed::completionTokens).sum();
        return new JsonObject().put("id", id).put("object", "text_completion").put("created", created).put("model", model)
                .put("choices", choices).put("usage", new JsonObject().put("prompt_tokens", prompt)
                        .put("completion_tokens", completion).put("total_tokens", prompt + completion));
    }

    /**
     * OpenAI's embeddings list from a worker's answer passed on: its items ({@code object, index, embedding}, floats or
     * base64 as the request asked) as the worker wrote them.
     */
    public static Buffer embeddings(String model, PassedAnswer answer) {
        return usage(Buffer.buffer(answer.data().length() + 128).appendString("{\"object\":\"list\",\"data\":")
                .appendBuffer(answer.data()).appendString(",\"model\":").appendString(Json.encode(model)), answer.tokens());
    }

    /** Ends a body written as bytes with {@code "usage"} for {@code tokens} prompt tokens, as the decoded bodies have it. */
    private static Buffer usage(Buffer body, int tokens) {
        String n = Integer.toString(tokens);
        return body.appendString(",\"usage\":{\"prompt_tokens\":").appendString(n).appendString(",\"total_tokens\":")
                .appendString(n).appendString("}}");
    }

    /** The same from the worker's items decoded (a model run in-process: a batch worker). */
    public static JsonObject embeddings(String model, JsonArray data, int tokens) {
        return new JsonObject().put("object", "list").put("data", data).put("model", model)
                .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
    }
}
