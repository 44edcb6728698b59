package io.lmaas.gateway.http;

import io.lmaas.core.api.ApiSchemas;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Request validation from the API document itself ({@link ApiDocument}, compiled by {@link ApiSchemas}): each
 * operation with a JSON request body gets a handler that checks the body against the document's schema before the
 * route's own handler runs, so what the document promises is what is enforced. A refusal is {@code 400} with the
 * failing field as {@code param}. The routes' own checks stay for what a schema cannot say (a model that exists, a
 * file of the right purpose, limits across fields). The parsed body is kept for {@link Json#body}: parsed once.
 */
public final class RequestSchemas {
    static final String PARSED = "lmaas.parsed-body";
    /** The document's schemas, compiled once per process. */
    public static final RequestSchemas API = new RequestSchemas(ApiSchemas.of(new JsonObject(ApiDocument.json())));

    private final ApiSchemas schemas;
    private final Set<String> attached = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private RequestSchemas(ApiSchemas schemas) {
        this.schemas = schemas;
    }

    /** The operations with a JSON body. */
    public Set<String> operations() {
        return schemas.operations();
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
    public Handler<RoutingContext> body(String operationId, BiConsumer<RoutingContext, JsonObject> first) {
        boolean required = schemas.bodyRequired(operationId);
        attached.add(operationId);
        return ctx -> {
            if (!required && (ctx.body().buffer() == null || ctx.body().length() == 0)) {
                ctx.next();
                return;
            }
            JsonObject body = Json.parse(ctx);
            first.accept(ctx, body);
            schemas.check(operationId, body).ifPresent(r -> {
                throw ApiException.badRequest(r.code(), r.param(), r.message());
            });
            ctx.put(PARSED, body);
            ctx.next();
        };
    }
}
