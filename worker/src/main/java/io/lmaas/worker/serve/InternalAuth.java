package io.lmaas.worker.serve;

import io.lmaas.core.secrets.WorkerToken;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The worker's only gate: every request but {@code GET /health} must carry the internal token
 * ({@code Authorization: Bearer <token>}, compared in constant time) that only the gateway and the scheduler
 * hold; anything else is answered 401 in the worker's error shape before its body is read. A worker without a
 * token cannot be built (fail closed).
 */
final class InternalAuth implements Handler<RoutingContext> {
    private final String token;

    InternalAuth(String token) {
        this.token = WorkerToken.requireValid(token);
    }

    /** Whether the request carries the token. */
    boolean accepts(HttpServerRequest request) {
        return WorkerToken.matches(token, request.getHeader("authorization"));
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (accepts(ctx.request())) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(401).putHeader("content-type", "application/json")
                .putHeader("www-authenticate", "Bearer realm=\"lmaas-worker\"")
                .end(new JsonObject().put("error", new JsonObject().put("message",
                        "this worker answers the LMaaS gateway only (internal credential missing or wrong)")
                        .put("code", "unauthorized")).encode());
    }
}
