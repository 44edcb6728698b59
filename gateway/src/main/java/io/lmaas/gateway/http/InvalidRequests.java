package io.lmaas.gateway.http;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * Requests the HTTP decoder refused before any route saw them (a request line or headers too long, a malformed
 * request): answered in the same JSON error shape as everything else ({@code 414 uri_too_long},
 * {@code 431 headers_too_large}, {@code 400 invalid_request}), then the connection is closed.
 */
public final class InvalidRequests {
    private InvalidRequests() {
    }

    public static void answer(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        String name = cause == null ? "" : cause.getClass().getSimpleName();
        int status;
        String code;
        String message;
        if (name.equals("TooLongHttpLineException")) {
            status = 414;
            code = "uri_too_long";
            message = "the request line is too long";
        } else if (name.equals("TooLongHttpHeaderException") || cause instanceof TooLongFrameException) {
            status = 431;
            code = "headers_too_large";
            message = "the request headers are too large";
        } else {
            status = 400;
            code = "invalid_request";
            message = "the request is not valid HTTP";
        }
        JsonObject body = Responder.body(new ApiException(status, "invalid_request_error", code, null, message, null));
        request.response().setStatusCode(status).putHeader("content-type", "application/json").putHeader("connection", "close")
                .end(body.encode()).onComplete(ar -> request.connection().close());
    }
}
