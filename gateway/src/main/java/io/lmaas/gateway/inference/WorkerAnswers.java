package io.lmaas.gateway.inference;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker's answers read into what the gateway shapes its responses from (pure): the body of {@code /v1/classify},
 * {@code /v1/embed} or {@code /v1/generate}, whether it came over HTTP or from a model run in-process (a batch worker).
 */
public final class WorkerAnswers {
    private WorkerAnswers() {
    }

    /** {@code {"data":[{label,score,scores,tokens}]}}. */
    public static List<InferenceService.Classified> classified(JsonObject json) {
        List<InferenceService.Classified> out = new ArrayList<>();
        for (Object o : json.getJsonArray("data")) {
            JsonObject item = (JsonObject) o;
            Map<String, Double> scores = new LinkedHashMap<>();
            item.getJsonObject("scores").forEach(e -> scores.put(e.getKey(), ((Number) e.getValue()).doubleValue()));
            out.add(new InferenceService.Classified(item.getString("label"), item.getDouble("score"), scores, item.getInteger("tokens")));
        }
        return out;
    }

    /** {@code {"data":[{embedding,tokens}]}}. */
    public static List<InferenceService.Embedded> embedded(JsonObject json) {
        List<InferenceService.Embedded> out = new ArrayList<>();
        for (Object o : json.getJsonArray("data")) {
            JsonObject item = (JsonObject) o;
            JsonArray values = item.getJsonArray("embedding");
            float[] v = new float[values.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = ((Number) values.getValue(i)).floatValue();
            }
            out.add(new InferenceService.Embedded(v, item.getInteger("tokens")));
        }
        return out;
    }

    /** {@code {text, finish_reason, prompt_tokens, completion_tokens}}. */
    public static InferenceService.Completed completed(JsonObject json) {
        return new InferenceService.Completed(json.getString("text"), json.getString("finish_reason"),
                json.getInteger("prompt_tokens"), json.getInteger("completion_tokens"));
    }
}
