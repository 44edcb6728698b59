package io.lmaas.gateway.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reading request bodies and writing JSON answers. */
public final class Json {
    private Json() {
    }

    /** The body as a JSON object, or a 400 saying why not (parsed once: {@link RequestSchemas} may have done it). */
    public static JsonObject body(RoutingContext ctx) {
        JsonObject parsed = ctx.get(RequestSchemas.PARSED);
        return parsed != null ? parsed : parse(ctx);
    }

    static JsonObject parse(RoutingContext ctx) {
        String raw = utf8(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
        if (raw.isBlank()) {
            throw ApiException.badRequest("invalid_json", null, "request body must be a JSON object");
        }
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(raw);
            if (parsed instanceof JsonObject o) {
                refuseNul(o, null);
                return o;
            }
        } catch (DecodeException e) {
            throw ApiException.badRequest("invalid_json", null, "request body is not valid JSON");
        }
        throw ApiException.badRequest("invalid_json", null, "request body must be a JSON object");
    }

    /**
     * U+0000 anywhere in a body (a key or a string value) is a 400 naming the field: PostgreSQL cannot store it, and
     * no model input needs it, so it is refused before any of the request reaches the database or a worker.
     */
    static void refuseNul(Object value, String path) {
        if (value instanceof String s) {
            if (s.indexOf('\u0000') >= 0) {
                throw ApiException.badRequest("invalid_value", path, (path == null ? "the body" : "'" + path + "'")
                        + " contains the NUL character (U+0000), which is not accepted");
            }
        } else if (value instanceof JsonObject o) {
            for (java.util.Map.Entry<String, Object> e : o) {
                String child = path == null ? e.getKey() : path + "." + e.getKey();
                refuseNul(e.getKey(), path);
                refuseNul(e.getValue(), child);
            }
        } else if (value instanceof io.vertx.core.json.JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                refuseNul(a.getValue(i), (path == null ? "" : path) + "[" + i + "]");
            }
        }
    }

    /** Strict UTF-8 decoding: malformed bytes are a 400, never silently replaced. */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("invalid_encoding", null, "request body is not valid UTF-8");
        }
    }

    public static void send(RoutingContext ctx, int status, JsonObject body) {
        send(ctx, status, body.toBuffer());
    }

    /** {@code body}, already encoded as JSON. */
    public static void send(RoutingContext ctx, int status, io.vertx.core.buffer.Buffer body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }
}
