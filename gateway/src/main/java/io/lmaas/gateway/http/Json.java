package io.lmaas.gateway.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reading request bodies and writing JSON answers. */
public final class Json {
    private Json() {
    }

    /** The body as a JSON object, or a 400 saying why not. */
    public static JsonObject body(RoutingContext ctx) {
        String raw = ctx.body().asString();
        if (raw == null || raw.isBlank()) {
            throw ApiException.badRequest("invalid_json", null, "request body must be a JSON object");
        }
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(raw);
            if (parsed instanceof JsonObject o) {
                return o;
            }
        } catch (DecodeException e) {
            throw ApiException.badRequest("invalid_json", null, "request body is not valid JSON");
        }
        throw ApiException.badRequest("invalid_json", null, "request body must be a JSON object");
    }

    public static void send(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }
}
