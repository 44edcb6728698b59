package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/embeddings} in OpenAI's shape: {@code input} is a string, an array of strings, an array of token ids,
 * or an array of arrays of token ids; {@code encoding_format} is {@code float} (default) or {@code base64};
 * {@code dimensions} is refused (no served model shortens its embeddings); {@code user} is accepted and ignored.
 * LMaaS's own {@code truncate} (default false) cuts inputs longer than the model's maximum instead of refusing them.
 * Each input is a string or a token-id array ({@link Input}). Pure.
 */
public record EmbeddingRequest(String model, List<Input> inputs, boolean base64, boolean truncate) {
    public static final int MAX_INPUTS = 2048;
    private static final Set<String> KNOWN = Set.of("model", "input", "encoding_format", "dimensions", "user", "truncate");

    /** One input: text, or token ids (exactly one is set). */
    public record Input(String text, long[] ids) {
        Object toWorker() {
            if (text != null) {
                return text;
            }
            JsonArray a = new JsonArray();
            for (long id : ids) {
                a.add(id);
            }
            return a;
        }
    }

    /** An upper bound of the tokens: UTF-8 bytes plus two special tokens per text, the length of each id array. */
    public long tokenBound() {
        long n = 0;
        for (Input i : inputs) {
            n += i.text() != null ? Requests.utf8Length(i.text()) + 2 : i.ids().length;
        }
        return n;
    }

    /** The worker request: the inputs, and the encoding the worker writes the client's embeddings in. */
    public JsonObject workerBody() {
        JsonArray a = new JsonArray();
        inputs.forEach(i -> a.add(i.toWorker()));
        return new JsonObject().put("inputs", a).put("truncate", truncate).put("encoding_format", base64 ? "base64" : "float");
    }

    public static EmbeddingRequest parse(JsonObject body) {
        for (String field : body.fieldNames()) {
            if (!KNOWN.contains(field)) {
                throw new ApiException(400, "invalid_request_error", "unsupported_parameter", field,
                        "'" + field + "' is not supported by /v1/embeddings", null);
            }
        }
        String model = Requests.model(body);
        if (body.getValue("dimensions") != null) {
            throw new ApiException(400, "invalid_request_error", "unsupported_parameter", "dimensions",
                    "'dimensions' is not supported: the model's embeddings have a fixed size", null);
        }
        Object format = body.getValue("encoding_format");
        if (format != null && !"float".equals(format) && !"base64".equals(format)) {
            throw ApiException.invalidParam("encoding_format", "'encoding_format' must be \"float\" or \"base64\"");
        }
        Object truncate = body.getValue("truncate");
        if (truncate != null && !(truncate instanceof Boolean)) {
            throw ApiException.invalidParam("truncate", "'truncate' must be a boolean");
        }
        return new EmbeddingRequest(model, inputs(body.getValue("input")), "base64".equals(format), Boolean.TRUE.equals(truncate));
    }

    private static List<Input> inputs(Object input) {
        if (input == null) {
            throw ApiException.missingParam("input");
        }
        List<Input> out = new ArrayList<>();
        if (input instanceof String s) {
            out.add(text(s, "input"));
        } else if (input instanceof JsonArray array) {
            if (array.isEmpty()) {
                throw ApiException.invalidParam("input", "'input' must not be an empty array");
            }
            if (array.getValue(0) instanceof Number) { // one input as token ids
                out.add(ids(array, "input"));
            } else {
                if (array.size() > MAX_INPUTS) {
                    throw ApiException.invalidParam("input", "'input' may hold at most " + MAX_INPUTS + " inputs");
                }
                for (int i = 0; i < array.size(); i++) {
                    Object v = array.getValue(i);
                    if (v instanceof String s) {
                        out.add(text(s, "input[" + i + "]"));
                    } else if (v instanceof JsonArray ids) {
                        out.add(ids(ids, "input[" + i + "]"));
                    } else {
                        throw ApiException.invalidParam("input", "input[" + i + "] must be a string or an array of token ids");
                    }
                }
            }
        } else {
            throw ApiException.invalidParam("input", "'input' must be a string, an array of strings, or token ids");
        }
        return List.copyOf(out);
    }

    private static Input text(String s, String where) {
        if (s.isEmpty()) {
            throw ApiException.invalidParam("input", where + " must not be empty");
        }
        if (s.length() > ClassificationRequest.MAX_INPUT_CHARS) {
            throw ApiException.invalidParam("input", where + " is longer than " + ClassificationRequest.MAX_INPUT_CHARS
                    + " characters");
        }
        return new Input(s, null);
    }

    private static Input ids(JsonArray array, String where) {
        if (array.isEmpty()) {
            throw ApiException.invalidParam("input", where + " must not be empty");
        }
        if (array.size() > 100_000) {
            throw ApiException.invalidParam("input", where + " has too many token ids");
        }
        long[] ids = new long[array.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!(array.getValue(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 0
                    || n.longValue() > Integer.MAX_VALUE) {
                throw ApiException.invalidParam("input", where + " must hold non-negative integer token ids");
            }
            ids[i] = n.longValue();
        }
        return new Input(null, ids);
    }
}
