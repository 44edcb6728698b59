package io.lmaas.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Request validation from the API document itself ({@link ApiDocument}): each operation with a JSON request body
 * gets a handler that checks the body against the document's schema (JSON Schema 2020-12, vertx-json-schema) before
 * the route's own handler runs, so what the document promises is what is enforced. A body that does not match is
 * {@code 400} with the failing field as {@code param} ({@code hyperparameters.n_epochs}, {@code messages[0].content})
 * and code {@code missing_required_parameter} or {@code invalid_value}. The routes' own checks stay for what a schema
 * cannot say (a model that exists, a file of the right purpose, limits across fields). A member set to null counts
 * as absent, as the routes read it. The parsed body is kept for {@link Json#body} so it is parsed once.
 */
public final class RequestSchemas {
    static final String PARSED = "lmaas.parsed-body";
    private static final Pattern REQUIRED = Pattern.compile("required property \"?'?([^\"']+)\"?'?");
    /** The validator's messages that only say a part below failed. */
    private static final Pattern GENERIC = Pattern.compile("subschema had errors|does not match schema|did not match schema");
    /** The document's schemas, compiled once per process. */
    public static final RequestSchemas API = new RequestSchemas(new JsonObject(ApiDocument.json()));

    private record Operation(Validator validator, boolean required) {
    }

    private final Map<String, Operation> operations = new HashMap<>();
    private final Set<String> attached = java.util.concurrent.ConcurrentHashMap.newKeySet();

    RequestSchemas(JsonObject document) {
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

    /** The operations with a JSON body. */
    public Set<String> operations() {
        return Set.copyOf(operations.keySet());
    }

    /** The operations whose check a router has installed (every one of {@link #operations}, once a gateway runs). */
    public Set<String> attached() {
        return Set.copyOf(attached);
    }

    /** The handler that checks an operation's body; an operation without a JSON body in the document is a bug. */
    public Handler<RoutingContext> body(String operationId) {
        return body(operationId, (ctx, body) -> { });
    }

    /**
     * As {@link #body(String)}, with {@code first} given the parsed body before it is checked (metering records the
     * model a refused request named).
     */
    public Handler<RoutingContext> body(String operationId, java.util.function.BiConsumer<RoutingContext, JsonObject> first) {
        Operation op = operations.get(operationId);
        if (op == null) {
            throw new IllegalArgumentException("the API document has no JSON request body for " + operationId);
        }
        attached.add(operationId);
        return ctx -> {
            if (!op.required() && (ctx.body().buffer() == null || ctx.body().length() == 0)) {
                ctx.next();
                return;
            }
            JsonObject body = Json.parse(ctx);
            first.accept(ctx, body);
            OutputUnit result = op.validator().validate(withoutNulls(body));
            if (!Boolean.TRUE.equals(result.getValid())) {
                throw refusal(result);
            }
            ctx.put(PARSED, body);
            ctx.next();
        };
    }

    /**
     * The body as the schemas read it: a member whose value is null is absent (OpenAI's API and clients use null for
     * "not given"; a required one is then missing). The same object when it holds no null.
     */
    static JsonObject withoutNulls(JsonObject body) {
        boolean any = false;
        for (var e : body) {
            if (e.getValue() == null || e.getValue() instanceof JsonObject o && withoutNulls(o) != o) {
                any = true;
                break;
            }
        }
        if (!any) {
            return body;
        }
        JsonObject out = new JsonObject();
        for (var e : body) {
            if (e.getValue() instanceof JsonObject o) {
                out.put(e.getKey(), withoutNulls(o));
            } else if (e.getValue() != null) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** The most specific error (the deepest field) as the client's answer: what is wrong there, in the validator's words. */
    static ApiException refusal(OutputUnit result) {
        java.util.List<OutputUnit> errors = result.getErrors() == null ? java.util.List.of() : result.getErrors();
        int depth = -1;
        for (OutputUnit e : errors) {
            depth = Math.max(depth, depth(e));
        }
        java.util.List<String> said = new java.util.ArrayList<>();
        OutputUnit at = null;
        for (OutputUnit e : errors) {
            if (depth(e) == depth && e.getError() != null) {
                at = at == null ? e : at;
                Matcher required = REQUIRED.matcher(e.getError());
                if (e.getKeywordLocation() != null && e.getKeywordLocation().endsWith("required") && required.find()) {
                    String param = param(e.getInstanceLocation());
                    return ApiException.missingParam(param == null ? required.group(1) : param + "." + required.group(1));
                }
                if (!GENERIC.matcher(e.getError()).find() && !said.contains(e.getError())) {
                    said.add(e.getError());
                }
            }
        }
        if (at == null) {
            return ApiException.badRequest("invalid_value", null, "the request body does not match the API's schema");
        }
        String param = param(at.getInstanceLocation());
        return ApiException.invalidParam(param, (param == null ? "the body" : "'" + param + "'") + ": "
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
