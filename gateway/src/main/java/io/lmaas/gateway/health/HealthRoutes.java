package io.lmaas.gateway.health;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;

/** {@code /health/live} (the process answers) and {@code /health/ready} (PostgreSQL answers too). */
public final class HealthRoutes {
    private final Pool pool;

    public HealthRoutes(Pool pool) {
        this.pool = pool;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.get("/live").handler(ctx -> ctx.json(new JsonObject().put("status", "live")));
        r.get("/ready").handler(ctx -> pool.query("SELECT 1").execute().onComplete(ar -> {
            JsonObject body = new JsonObject().put("status", ar.succeeded() ? "ready" : "not_ready");
            if (ar.failed()) {
                body.put("reason", "database unavailable");
            }
            ctx.response().setStatusCode(ar.succeeded() ? 200 : 503).putHeader("content-type", "application/json")
                    .end(body.encode());
        }));
        return r;
    }
}
