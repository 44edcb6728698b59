package io.lmaas.gateway.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * How request bodies are read, and how long a client may take to send one. A route that takes an upload holds its
 * request ({@link #holdForUpload}): the body stays unread until the caller is signed in and allowed, then that
 * route's own upload handler streams it to disk. Every other body is read into memory under the body limit
 * ({@link #readUnlessHeld}). A body not complete within its deadline (uploads have a longer one) is answered
 * {@code 408 request_timeout}, its connection closed and any half-written upload deleted; an upload whose request
 * ended but whose multipart body never closed (no final boundary) is answered {@code 400 invalid_multipart} at once.
 * Decisions follow the route the router matched, never a reading of the raw path.
 */
public final class RequestBodies {
    private static final String HELD = "lmaas.body.held";
    private static final String READ = "lmaas.body.read";
    private static final String ABORTED = "lmaas.body.aborted";
    private static final long POLL_MS = 500;

    private final BodyHandler memory;
    private final RequestGuards guards;

    public RequestBodies(int bodyLimitBytes, RequestGuards guards) {
        this.memory = BodyHandler.create(false).setBodyLimit(bodyLimitBytes);
        this.guards = guards;
    }

    /** First on every request: starts the body deadline (cancelled when the answer ends). */
    public Handler<RoutingContext> deadline() {
        return ctx -> {
            long started = System.nanoTime();
            watch(ctx, started);
            ctx.next();
        };
    }

    /** On a route that takes an upload: keep the body unread for now (its connection is not reused). */
    public static void holdForUpload(RoutingContext ctx) {
        ctx.put(HELD, true);
        ctx.request().pause();
        ctx.response().putHeader("connection", "close");
        ctx.next();
    }

    /** After every route's hold: reads the body into memory unless the route holds it for an upload. */
    public Handler<RoutingContext> readUnlessHeld() {
        return ctx -> {
            if (Boolean.TRUE.equals(ctx.get(HELD))) {
                ctx.next();
            } else {
                memory.handle(ctx);
            }
        };
    }

    /** Right after whatever read the body (the memory reader, or an upload route's streaming reader). */
    public static void bodyRead(RoutingContext ctx) {
        if (!Boolean.TRUE.equals(ctx.get(HELD)) || ctx.request().isEnded()) {
            ctx.put(READ, true);
        }
        ctx.next();
    }

    /** An upload route's reader is done: the whole multipart body is on disk. */
    public static void uploadRead(RoutingContext ctx) {
        ctx.put(READ, true);
        ctx.next();
    }

    private void watch(RoutingContext ctx, long started) {
        long timer = ctx.vertx().setTimer(POLL_MS, t -> check(ctx, started));
        ctx.addEndHandler(ar -> ctx.vertx().cancelTimer(timer));
    }

    private void check(RoutingContext ctx, long started) {
        if (Boolean.TRUE.equals(ctx.get(READ)) || ctx.response().ended() || ctx.response().closed() || ctx.failed()) {
            return;
        }
        boolean held = Boolean.TRUE.equals(ctx.get(HELD));
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        long limitMs = (held ? guards.uploadTimeout() : guards.bodyTimeout()).toMillis();
        if (held && ctx.fileUploads().size() > 0 && ctx.request().isEnded()) {
            Long endedAt = ctx.get("lmaas.body.endedAt");
            if (endedAt == null) {
                ctx.put("lmaas.body.endedAt", elapsedMs); // one more look: the last part may still be flushing to disk
            } else {
                abort(ctx, ApiException.badRequest("invalid_multipart", "file",
                        "the multipart body ended without its closing boundary"));
                return;
            }
        }
        if (elapsedMs >= limitMs) {
            abort(ctx, new ApiException(408, "invalid_request_error", "request_timeout", null, "the request body was not sent within "
                    + limitMs / 1000 + " s", null));
            return;
        }
        watch(ctx, started);
    }

    /** The reason a request's body was abandoned, or null: it stands over any failure the abandoning set off. */
    public static ApiException aborted(RoutingContext ctx) {
        return ctx.get(ABORTED);
    }

    private static void abort(RoutingContext ctx, ApiException e) {
        ctx.put(ABORTED, e);
        ctx.cancelAndCleanupFileUploads();
        ctx.response().putHeader("connection", "close");
        // Closed once the answer is out (the end handler runs inside the write; the request itself never ended).
        io.vertx.core.http.HttpConnection connection = ctx.request().connection();
        ctx.addEndHandler(ar -> ctx.vertx().setTimer(20, t -> connection.close()));
        if (!ctx.failed()) {
            ctx.fail(e);
        }
    }
}
