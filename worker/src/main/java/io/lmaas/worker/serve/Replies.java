package io.lmaas.worker.serve;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
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

    /** Answers a failure as {@link ModelCalls#refusal} maps it: 503s with Retry-After, a 500 logged. */
    void failed(RoutingContext ctx, Throwable failure) {
        ModelCalls.Refused r = ModelCalls.refusal(failure, draining.getAsBoolean());
        if (r.status() == 503) {
            ctx.response().putHeader("retry-after", "1");
        } else if (r.status() == 500) {
            LOG.error("[{}] inference failed", ctx.request().getHeader("x-request-id"), ModelCalls.unwrap(failure));
        }
        error(ctx, r.status(), r.code(), r.param(), r.getMessage());
    }

    /** The error code of a failure (also used mid-stream). */
    String code(Throwable e) {
        return ModelCalls.refusal(e, draining.getAsBoolean()).code();
    }

    static Throwable unwrap(Throwable e) {
        return ModelCalls.unwrap(e);
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
