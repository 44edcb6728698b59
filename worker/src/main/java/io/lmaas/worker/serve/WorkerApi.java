package io.lmaas.worker.serve;

import io.lmaas.core.api.ApiSchemas;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The worker's own API document ({@code openapi/worker.json}: health, metrics, classify, embed, generate; internal,
 * behind the internal token) and the check each POST route installs before its handler: a body that does not match
 * its schema is {@code 400 invalid_request} naming the field. The routes keep the checks a schema cannot make (a
 * token id within the vocabulary, a prompt that fits the context).
 */
final class WorkerApi {
    static final String DOCUMENT = ApiSchemas.resource("/openapi/worker.json");
    static final ApiSchemas SCHEMAS = ApiSchemas.of(new JsonObject(DOCUMENT));

    private WorkerApi() {
    }

    static Handler<RoutingContext> body(String operationId) {
        SCHEMAS.bodyRequired(operationId); // an operation the document lacks fails here, when the routes are built
        return ctx -> {
            JsonObject body;
            try {
                body = ctx.body().asJsonObject();
            } catch (DecodeException | ClassCastException e) {
                Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object");
                return;
            }
            if (body == null) {
                Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object");
                return;
            }
            var refusal = SCHEMAS.check(operationId, body);
            if (refusal.isPresent()) {
                Replies.error(ctx, 400, "invalid_request", refusal.get().param(), refusal.get().message());
                return;
            }
            ctx.next();
        };
    }
}
