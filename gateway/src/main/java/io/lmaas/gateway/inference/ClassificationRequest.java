package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/classifications} body: {@code {"model", "input": string | string[], "truncate", "explain", "steps"}}
 * (pure parsing). LMaaS's {@code truncate} (default false) cuts inputs longer than the model's maximum instead of
 * refusing them; {@code "explain": true} adds each input's tokens with their attributions for the predicted label
 * (integrated gradients, {@code steps} default 32, at most {@value #MAX_EXPLAIN_STEPS}; at most
 * {@value #MAX_EXPLAINED_INPUTS} inputs). {@code explainSteps} is 0 when no explanation is asked for.
 */
public record ClassificationRequest(String model, List<String> inputs, boolean truncate, int explainSteps) {
    public static final int MAX_INPUTS = 256;
    public static final int MAX_INPUT_CHARS = 100_000;
    public static final int MAX_EXPLAIN_STEPS = 256;
    public static final int MAX_EXPLAINED_INPUTS = 16;
    public static final int DEFAULT_EXPLAIN_STEPS = 32;

    public ClassificationRequest(String model, List<String> inputs, boolean truncate) {
        this(model, inputs, truncate, 0);
    }

    /**
     * What the request costs in tokens, at most: {@link #tokenBound()} once to classify and once more per step of an
     * explanation (each step is a forward and a backward pass over the tokens). Reserved at admission.
     */
    public long costBound() {
        return tokenBound() * (1L + explainSteps);
    }

    /**
     * An upper bound of the tokens this request can cost: the UTF-8 bytes of every input (no tokenizer
     * yields more tokens than bytes; byte-level BPE yields at most one per byte) plus two special tokens
     * per input. Reserved at admission, settled to the real count.
     */
    public long tokenBound() {
        long bytes = 0;
        for (String s : inputs) {
            bytes += Requests.utf8Length(s) + 2;
        }
        return bytes;
    }

    /** The worker's {@code /v1/classify} body: {@code {"inputs", "truncate"}}. */
    public JsonObject workerBody() {
        return new JsonObject().put("inputs", new JsonArray(new ArrayList<>(inputs))).put("truncate", truncate);
    }

    public static ClassificationRequest parse(JsonObject body) {
        String model = Requests.model(body);
        Object input = body.getValue("input");
        List<String> inputs = new ArrayList<>();
        if (input == null) {
            throw ApiException.missingParam("input");
        } else if (input instanceof String s) {
            inputs.add(s);
        } else if (input instanceof JsonArray array) {
            if (array.isEmpty()) {
                throw ApiException.invalidParam("input", "'input' must not be an empty array");
            }
            if (array.size() > MAX_INPUTS) {
                throw ApiException.invalidParam("input", "'input' may hold at most " + MAX_INPUTS + " strings");
            }
            for (int i = 0; i < array.size(); i++) {
                if (!(array.getValue(i) instanceof String s)) {
                    throw ApiException.invalidParam("input", "input[" + i + "] must be a string");
                }
                inputs.add(s);
            }
        } else {
            throw ApiException.invalidParam("input", "'input' must be a string or an array of strings");
        }
        for (int i = 0; i < inputs.size(); i++) {
            String s = inputs.get(i);
            String where = inputs.size() == 1 && input instanceof String ? "input" : "input[" + i + "]";
            if (s.isBlank()) {
                throw ApiException.invalidParam("input", where + " must not be empty");
            }
            if (s.length() > MAX_INPUT_CHARS) {
                throw ApiException.invalidParam("input", where + " is longer than " + MAX_INPUT_CHARS + " characters");
            }
        }
        Object truncate = body.getValue("truncate");
        if (truncate != null && !(truncate instanceof Boolean)) {
            throw ApiException.invalidParam("truncate", "'truncate' must be a boolean");
        }
        return new ClassificationRequest(model, List.copyOf(inputs), Boolean.TRUE.equals(truncate), explainSteps(body, inputs.size()));
    }

    private static int explainSteps(JsonObject body, int inputs) {
        Object explain = body.getValue("explain");
        if (explain != null && !(explain instanceof Boolean)) {
            throw ApiException.invalidParam("explain", "'explain' must be a boolean");
        }
        if (!Boolean.TRUE.equals(explain)) {
            if (body.getValue("steps") != null) {
                throw ApiException.invalidParam("steps", "'steps' is only allowed with \"explain\": true");
            }
            return 0;
        }
        if (inputs > MAX_EXPLAINED_INPUTS) {
            throw ApiException.invalidParam("input", "at most " + MAX_EXPLAINED_INPUTS + " inputs can be explained in one request");
        }
        return Requests.integer(body, "steps", DEFAULT_EXPLAIN_STEPS, 1, MAX_EXPLAIN_STEPS);
    }
}
