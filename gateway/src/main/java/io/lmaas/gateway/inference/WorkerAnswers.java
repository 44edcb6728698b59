package io.lmaas.gateway.inference;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A worker's answers read into what the gateway shapes its responses from (pure), where they come decoded: from a model
 * run in-process (a batch worker), or a generation. Classify and embed answers over HTTP are read as a
 * {@link PassedAnswer} instead.
 */
public final class WorkerAnswers {
    private WorkerAnswers() {
    }

    /** What a classify or embed answer's inputs cost in all: the sum of its {@code tokens}. */
    public static int tokens(JsonObject answer) {
        JsonArray tokens = answer.getJsonArray("tokens");
        int sum = 0;
        for (int i = 0; i < tokens.size(); i++) {
            sum = Math.addExact(sum, tokens.getInteger(i));
        }
        return sum;
    }

    /** {@code {text, finish_reason, prompt_tokens, completion_tokens}}. */
    public static InferenceService.Completed completed(JsonObject json) {
        return new InferenceService.Completed(json.getString("text"), json.getString("finish_reason"),
                json.getInteger("prompt_tokens"), json.getInteger("completion_tokens"));
    }
}
