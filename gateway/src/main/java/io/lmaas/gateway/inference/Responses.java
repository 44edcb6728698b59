package io.lmaas.gateway.inference;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The bodies of non-streamed inference answers (pure): online and batch requests give the same ones. */
public final class Responses {
    private Responses() {
    }

    /** {@code POST /v1/classifications}: one entry per input, with every label's score, and usage. */
    public static JsonObject classification(String id, String model, List<InferenceService.Classified> results) {
        return classification(id, model, results, List.of(), 0);
    }

    /**
     * With explanations (one per result, or none) and what they cost: {@code usage.prompt_tokens} is the tokens times
     * (1 + steps), {@code usage.explanation_tokens} the part the explanations took.
     */
    public static JsonObject classification(String id, String model, List<InferenceService.Classified> results,
            List<InferenceService.Explanation> explanations, int steps) {
        int tokens = results.stream().mapToInt(InferenceService.Classified::tokens).sum();
        JsonArray data = new JsonArray();
        for (int i = 0; i < results.size(); i++) {
            InferenceService.Classified c = results.get(i);
            JsonObject scores = new JsonObject();
            c.scores().forEach(scores::put);
            JsonObject item = new JsonObject().put("index", i).put("label", c.label()).put("score", c.score()).put("scores", scores);
            if (i < explanations.size()) {
                item.put("explanation", explanations.get(i).toJson());
            }
            data.add(item);
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

    /** OpenAI's embeddings list: floats, or each vector as base64 of little-endian float32. */
    public static JsonObject embeddings(String model, List<InferenceService.Embedded> results, boolean base64) {
        JsonArray data = new JsonArray();
        int tokens = 0;
        for (int i = 0; i < results.size(); i++) {
            float[] v = results.get(i).embedding();
            Object embedding;
            if (base64) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    b.putFloat(f);
                }
                embedding = java.util.Base64.getEncoder().encodeToString(b.array());
            } else {
                JsonArray a = new JsonArray(new java.util.ArrayList<>(v.length));
                for (float f : v) {
                    a.add(f);
                }
                embedding = a;
            }
            data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", embedding));
            tokens += results.get(i).tokens();
        }
        return new JsonObject().put("object", "list").put("data", data).put("model", model)
                .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
    }
}
