package io.lmaas.core.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The request-body schemas of an OpenAPI 3.1 document, compiled once (networknt's json-schema-validator, JSON Schema
 * 2020-12), by operation id. {@link #check} says why a body does not match: the deepest failing field as {@code param}
 * ({@code hyperparameters.n_epochs}, {@code messages[0].content}), {@code missing_required_parameter} or
 * {@code invalid_value}. A member set to null counts as absent (OpenAI's API and clients use null for "not given").
 * Pure; the gateway and the worker install it in their routes. (vertx-json-schema did the same at ~11 µs a body,
 * a sixth of a gateway event loop's time at saturation; this validator takes ~0.5 µs: docs/benchmarks.md.)
 */
public final class ApiSchemas {
    /** The keywords whose errors only say that a part below failed. */
    private static final Set<String> GENERIC = Set.of("oneOf", "anyOf", "allOf", "not", "$ref");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Why a body was refused, as the API's error fields. */
    public record Refusal(String code, String param, String message) {
    }

    private record Operation(JsonSchema schema, boolean required) {
    }

    private final Map<String, Operation> operations = new HashMap<>();

    private ApiSchemas(JsonObject document) {
        JsonObject components = document.getJsonObject("components");
        // The operations' schemas carry the document's components (their $refs point there): not a keyword to check.
        JsonMetaSchema meta = JsonMetaSchema.builder(JsonMetaSchema.getV202012()).keyword(new NonValidationKeyword("components"))
                .build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.metaSchema(meta).defaultMetaSchemaIri(meta.getIri()));
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().pathType(PathType.JSON_POINTER).build();
        document.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(method -> {
            JsonObject op = (JsonObject) method.getValue();
            JsonObject body = op.getJsonObject("requestBody");
            JsonObject json = body == null ? null : body.getJsonObject("content").getJsonObject("application/json");
            if (json != null) {
                JsonObject schema = json.getJsonObject("schema").copy().put("components", components);
                String id = op.getString("operationId");
                JsonSchema compiled = factory.getSchema(SchemaLocation.of("https://lmaas.io/openapi.json/" + id), tree(schema), config);
                compiled.initializeValidators(); // every $ref resolved now, not on a request
                operations.put(id, new Operation(compiled, body.getBoolean("required", false)));
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
        Set<ValidationMessage> errors = operation(operationId).schema().validate(tree(withoutNulls(body)));
        return errors.isEmpty() ? Optional.empty() : Optional.of(refusal(errors));
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
    static Refusal refusal(Collection<ValidationMessage> errors) {
        int depth = -1;
        for (ValidationMessage e : errors) {
            depth = Math.max(depth, e.getInstanceLocation().getNameCount());
        }
        List<String> said = new ArrayList<>();
        ValidationMessage at = null;
        for (ValidationMessage e : errors) {
            if (e.getInstanceLocation().getNameCount() != depth) {
                continue;
            }
            at = at == null ? e : at;
            if ("required".equals(e.getType()) && e.getProperty() != null) {
                String param = param(e.getInstanceLocation().toString());
                String missing = param == null ? e.getProperty() : param + "." + e.getProperty();
                return new Refusal("missing_required_parameter", missing, "'" + missing + "' is required");
            }
            String what = e.getError() != null ? e.getError() : e.getMessage();
            if (!GENERIC.contains(e.getType()) && !said.contains(what)) {
                said.add(what);
            }
        }
        if (at == null) {
            return new Refusal("invalid_value", null, "the request body does not match the API's schema");
        }
        String param = param(at.getInstanceLocation().toString());
        return new Refusal("invalid_value", param, (param == null ? "the body" : "'" + param + "'") + ": "
                + (said.isEmpty() ? (at.getError() != null ? at.getError() : at.getMessage()) : String.join("; ", said)));
    }

    /** A Vert.x JSON value as a Jackson tree (the validator's input), without encoding it to text and parsing it again. */
    static JsonNode tree(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value == null) {
            return f.nullNode();
        } else if (value instanceof JsonObject o) {
            ObjectNode out = f.objectNode();
            for (Map.Entry<String, Object> e : o) {
                out.set(e.getKey(), tree(e.getValue()));
            }
            return out;
        } else if (value instanceof JsonArray a) {
            ArrayNode out = f.arrayNode(a.size());
            for (Object v : a) {
                out.add(tree(v));
            }
            return out;
        } else if (value instanceof Map<?, ?> || value instanceof List<?>) {
            return tree(value instanceof Map<?, ?> m ? new JsonObject(castMap(m)) : new JsonArray((List<?>) value));
        } else if (value instanceof String s) {
            return f.textNode(s);
        } else if (value instanceof Boolean b) {
            return f.booleanNode(b);
        } else if (value instanceof Integer i) {
            return f.numberNode(i);
        } else if (value instanceof Long l) {
            return f.numberNode(l);
        } else if (value instanceof BigInteger b) {
            return f.numberNode(b);
        } else if (value instanceof BigDecimal d) {
            return f.numberNode(d);
        } else if (value instanceof Number n) {
            return f.numberNode(n.doubleValue());
        }
        return MAPPER.valueToTree(value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
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
