package io.lmaas.scheduler.k8s;

import io.lmaas.core.metrics.ProcessMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The scheduler's probes, like the gateway's, on a port of their own: {@code GET /health/live} answers 200
 * while the replica takes part in leader election (one whose election ended can never lead again, so the kubelet
 * restarts it); {@code GET /health/ready} answers 200 when PostgreSQL answers too; {@code GET /metrics} gives the
 * process's Prometheus metrics to a caller with the metrics token (404 where none is configured). Nothing else is
 * served.
 */
public final class SchedulerHealth implements AutoCloseable {
    private final HttpServer server;

    private SchedulerHealth(HttpServer server) {
        this.server = server;
    }

    public static SchedulerHealth start(Vertx vertx, Pool pool, BooleanSupplier electing, String host, int port)
            throws Exception {
        return start(vertx, pool, electing, host, port, null);
    }

    /** {@code metricsToken}: the token a metrics scrape must carry (null: no metrics served). */
    public static SchedulerHealth start(Vertx vertx, Pool pool, BooleanSupplier electing, String host, int port,
            String metricsToken) throws Exception {
        HttpServer server = vertx.createHttpServer().requestHandler(req -> handle(req, pool, electing, metricsToken))
                .listen(port, host).await(30, TimeUnit.SECONDS);
        return new SchedulerHealth(server);
    }

    public int port() {
        return server.actualPort();
    }

    private static void handle(HttpServerRequest req, Pool pool, BooleanSupplier electing, String metricsToken) {
        boolean live = electing.getAsBoolean();
        if (req.method() != HttpMethod.GET) {
            answer(req, 405, error("method_not_allowed", "only GET is served here"));
        } else if (req.path().equals("/health/live")) {
            answer(req, live ? 200 : 503, new JsonObject().put("status", live ? "live" : "not_live"));
        } else if (req.path().equals("/health/ready")) {
            if (!live) {
                answer(req, 503, new JsonObject().put("status", "not_ready").put("reason", "leader election stopped"));
                return;
            }
            pool.query("SELECT 1").execute().onComplete(ar -> answer(req, ar.succeeded() ? 200 : 503, ar.succeeded()
                    ? new JsonObject().put("status", "ready")
                    : new JsonObject().put("status", "not_ready").put("reason", "database unavailable")));
        } else if (req.path().equals("/metrics")) {
            ProcessMetrics.scrape(req, metricsToken);
        } else {
            answer(req, 404, error("not_found", "no such route"));
        }
    }

    private static JsonObject error(String code, String message) {
        return new JsonObject().put("error", new JsonObject().put("message", message).put("code", code));
    }

    private static void answer(HttpServerRequest req, int status, JsonObject body) {
        req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }

    @Override
    public void close() {
        server.close();
    }
}
