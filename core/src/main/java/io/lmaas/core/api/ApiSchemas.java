package io.lmaas.core.api;

import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The request-body schemas of an OpenAPI 3.1 document, compiled once (vertx-json-schema, JSON Schema 2020-12), by
 * operation id. {@link #check} says why a body does not match: the deepest failing field as {@code param}
 * ({@code hyperparameters.n_epochs}, {@code messages[0].content}), {@code missing_required_parameter} or
 * {@code invalid_value}. A member set to null counts as absent (OpenAI's API and clients use null for "not given").
 * Pure; the gateway and the worker install it in their routes.
 */
public final class ApiSchemas {
    private static final Pattern REQUIRED = Pattern.compile("required property \"?'?([^\"']+)\"?'?");
    /** The validator's messages that only say a part below failed. */
    private static final Pattern GENERIC = Pattern.compile("subschema had errors|does not match schema|did not match schema");

    /** Why a body was refused, as the API's error fields. */
    public record Refusal(String code, String param, String message) {
    }

    private record Operation(Validator validator, boolean required) {
    }

    private final Map<String, Operation> operations = new HashMap<>();

    private ApiSchemas(JsonObject document) {
        JsonObject components = document.getJsonObject("components");
        JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setOutputFormat(OutputFormat.Basic)
                .setBaseUri("https://lmaas.io/openapi.json");
        document.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(method -> {
            JsonObject op = (JsonObject) method.getValue();
            JsonObject body = op.getJsonObject("requestBody");
            JsonObject json = body == null ? null : body.getJsonObject("content").getJsonObject("application/json");
            if (json != null) {
                JsonObject schema = json.getJsonObject("schema").copy().put("components", components);
                operations.put(op.getString("operationId"), new Operation(Validator.create(JsonSchema.of(schema), options),
                        body.getBoolean("required", false)));
            }
        }));
    }

    public static ApiSchemas of(JsonObject document) {
        return new ApiSchemas(document);
    }

    /** A document on the class path, as text. */
    public static String resource(String path) {
        try (InputStream in = ApiSchemas.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The operations with a JSON request body. */
    public Set<String> operations() {
        return Set.copyOf(operations.keySet());
    }

    /** Whether the operation's body may be left out (an unknown operation is a bug). */
    public boolean bodyRequired(String operationId) {
        return operation(operationId).required();
    }

    /** Empty when the body matches the operation's schema; otherwise why not. */
    public Optional<Refusal> check(String operationId, JsonObject body) {
        OutputUnit result = operation(operationId).validator().validate(withoutNulls(body));
        return Boolean.TRUE.equals(result.getValid()) ? Optional.empty() : Optional.of(refusal(result));
    }

    private Operation operation(String operationId) {
        Operation op = operations.get(operationId);
        if (op == null) {
            throw new IllegalArgumentException("the API document has no JSON request body for " + operationId);
        }
        return op;
    }

    /** The body as the schemas read it: null members are absent. The same object when it holds no null. */
    static JsonObject withoutNulls(JsonObject body) {
        return hasNull(body) ? copyWithoutNulls(body) : body;
    }

    private static boolean hasNull(JsonObject o) {
        for (var e : o) {
            if (e.getValue() == null || e.getValue() instanceof JsonObject inner && hasNull(inner)) {
                return true;
            }
        }
        return false;
    }

    private static JsonObject copyWithoutNulls(JsonObject o) {
        JsonObject out = new JsonObject();
        for (var e : o) {
            if (e.getValue() instanceof JsonObject inner) {
                out.put(e.getKey(), copyWithoutNulls(inner));
            } else if (e.getValue() != null) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** The most specific error (the deepest field) as the client's answer: what is wrong there, in the validator's words. */
    static Refusal refusal(OutputUnit result) {
        List<OutputUnit> errors = result.getErrors() == null ? List.of() : result.getErrors();
        int depth = -1;
        for (OutputUnit e : errors) {
            depth = Math.max(depth, depth(e));
        }
        List<String> said = new ArrayList<>();
        OutputUnit at = null;
        for (OutputUnit e : errors) {
            if (depth(e) == depth && e.getError() != null) {
                at = at == null ? e : at;
                Matcher required = REQUIRED.matcher(e.getError());
                if (e.getKeywordLocation() != null && e.getKeywordLocation().endsWith("required") && required.find()) {
                    String param = param(e.getInstanceLocation());
                    String missing = param == null ? required.group(1) : param + "." + required.group(1);
                    return new Refusal("missing_required_parameter", missing, "'" + missing + "' is required");
                }
                if (!GENERIC.matcher(e.getError()).find() && !said.contains(e.getError())) {
                    said.add(e.getError());
                }
            }
        }
        if (at == null) {
            return new Refusal("invalid_value", null, "the request body does not match the API's schema");
        }
        String param = param(at.getInstanceLocation());
        return new Refusal("invalid_value", param, (param == null ? "the body" : "'" + param + "'") + ": "
                + (said.isEmpty() ? at.getError() : String.join("; ", said)));
    }

    private static int depth(OutputUnit e) {
        return e.getInstanceLocation() == null ? 0 : e.getInstanceLocation().split("/", -1).length;
    }

    /** A JSON pointer as the API's parameter names: {@code /messages/0/content} → {@code messages[0].content}. */
    static String param(String pointer) {
        if (pointer == null) {
            return null;
        }
        String p = pointer.startsWith("#") ? pointer.substring(1) : pointer;
        StringBuilder out = new StringBuilder();
        for (String segment : p.split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            String name = segment.replace("~1", "/").replace("~0", "~");
            if (name.chars().allMatch(Character::isDigit)) {
                out.append('[').append(name).append(']');
            } else {
                out.append(out.length() == 0 ? "" : ".").append(name);
            }
        }
        return out.length() == 0 ? null : out.toString();
    }
}
