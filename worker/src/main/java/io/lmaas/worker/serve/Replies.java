package io.lmaas.worker.serve;

import io.lmaas.worker.runtime.InputTooLong;
import io.lmaas.worker.wlm.CapacityException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's one error-mapping place: {@code {"error":{"message","code"[,"param"]}}} with 400 (bad input;
 * {@code context_length_exceeded} for an input longer than the model takes), 503 ({@code model_overloaded} with
 * {@code Retry-After} when the queue is full, {@code model_not_ready} while draining) or 500.
 */
final class Replies {
    private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

    private final Vertx vertx;
    private final BooleanSupplier draining;

    Replies(Vertx vertx, BooleanSupplier draining) {
        this.vertx = vertx;
        this.draining = draining;
    }

    /** Answers {@code work}'s result rendered as JSON, or its failure mapped to an error. */
    <T> void respond(RoutingContext ctx, CompletableFuture<T> work, Function<T, JsonObject> render) {
        Future.fromCompletionStage(work, vertx.getOrCreateContext()).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("content-type", "application/json").end(render.apply(ar.result()).encode());
            } else {
                failed(ctx, ar.cause());
            }
        });
    }

    /** Answers a failure: bad input 400, capacity 503 with Retry-After, anything else 500 (logged). */
    void failed(RoutingContext ctx, Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof CapacityException) {
            ctx.response().putHeader("retry-after", "1");
            error(ctx, 503, code(e), e.getMessage());
        } else if (e instanceof InputTooLong tooLong) {
            error(ctx, 400, "context_length_exceeded", tooLong.param(), e.getMessage());
        } else if (e instanceof ExplanationRoutes.TooLarge) {
            error(ctx, 400, "explanation_too_large", "steps", e.getMessage());
        } else if (e instanceof io.lmaas.worker.explain.ExplanationsUnsupported) {
            error(ctx, 400, "explanations_unsupported", e.getMessage());
        } else if (e instanceof IllegalArgumentException) {
            error(ctx, 400, "invalid_request", "input", e.getMessage());
        } else {
            LOG.error("[{}] inference failed", ctx.request().getHeader("x-request-id"), e);
            error(ctx, 500, "inference_failed", "inference failed: " + e.getClass().getSimpleName());
        }
    }

    /** The error code of a failure (also used mid-stream). */
    String code(Throwable e) {
        if (e instanceof CapacityException) {
            return draining.getAsBoolean() ? "model_not_ready" : "model_overloaded";
        }
        if (e instanceof InputTooLong) {
            return "context_length_exceeded";
        }
        return e instanceof IllegalArgumentException ? "invalid_request" : "inference_failed";
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static void error(RoutingContext ctx, int status, String code, String message) {
        error(ctx, status, code, null, message);
    }

    static void error(RoutingContext ctx, int status, String code, String param, String message) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        JsonObject error = new JsonObject().put("message", message).put("code", code);
        if (param != null) {
            error.put("param", param);
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", error).encode());
    }
}
