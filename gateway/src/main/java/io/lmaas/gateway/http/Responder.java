package io.lmaas.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only way answers leave the gateway: runs the before-send hook (metering: the usage row is durable
 * before the response completes), then writes the JSON. Errors render as
 * {@code {"error":{"message","type","param","code"}}}.
 */
public final class Responder {
    private static final Logger LOG = LoggerFactory.getLogger(Responder.class);

    private final BiFunction<RoutingContext, Outcome, Future<Void>> beforeSend;

    public Responder(BiFunction<RoutingContext, Outcome, Future<Void>> beforeSend) {
        this.beforeSend = beforeSend;
    }

    /**
     * Runs the before-send hook alone, for answers written piece by piece (streams): call it before the
     * last piece, so the request's usage is durable before the response completes.
     */
    public Future<Void> settle(RoutingContext ctx, Outcome outcome) {
        return beforeSend.apply(ctx, outcome);
    }

    public void json(RoutingContext ctx, int status, JsonObject body) {
        json(ctx, status, body.toBuffer());
    }

    /** An answer already encoded as JSON (a worker's items passed on without decoding them). */
    public void json(RoutingContext ctx, int status, Buffer encoded) {
        beforeSend.apply(ctx, new Outcome(status, null)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.error("[{}] usage not recorded: {}", RequestContext.logTag(ctx), ar.cause().toString());
                write(ctx, ApiException.unavailable("usage_unavailable", "the usage ledger is unavailable; retry", 1));
                return;
            }
            if (!ctx.response().ended() && !ctx.response().closed()) {
                Json.send(ctx, status, encoded);
            }
        });
    }

    public void error(RoutingContext ctx, ApiException e) {
        RequestContext.logField(ctx, "error_code", e.code());
        beforeSend.apply(ctx, new Outcome(e.status(), e.code())).onComplete(ar -> {
            if (ar.failed()) {
                LOG.error("[{}] usage not recorded: {}", RequestContext.logTag(ctx), ar.cause().toString());
            }
            write(ctx, e);
        });
    }

    private static void write(RoutingContext ctx, ApiException e) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        if (e.retryAfterSeconds() != null) {
            ctx.response().putHeader("retry-after", e.retryAfterSeconds().toString());
        }
        e.headers().forEach((name, value) -> ctx.response().putHeader(name, value));
        Json.send(ctx, e.status(), body(e));
    }

    /** The error shape every failure is answered in. */
    static JsonObject body(ApiException e) {
        return new JsonObject().put("error", new JsonObject()
                .put("message", e.getMessage())
                .put("type", e.type())
                .put("param", e.param())
                .put("code", e.code()));
    }
}
