package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Pools;
import io.lmaas.core.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler's liveness follows its leader election; readiness needs PostgreSQL too. */
class SchedulerHealthTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Vertx vertx;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> call(int port, String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void liveWhileElectingReadyWhenTheDatabaseAnswersToo() throws Exception {
        Pool pool = Pools.create(vertx, TestDatabases.fresh(), 1);
        AtomicBoolean electing = new AtomicBoolean(true);
        try (SchedulerHealth health = SchedulerHealth.start(vertx, pool, electing::get, "127.0.0.1", 0)) {
            int port = health.port();
            assertThat(call(port, "GET", "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = call(port, "GET", "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(new JsonObject(ready.body()).getString("status")).isEqualTo("ready");
            assertThat(call(port, "GET", "/metrics").statusCode()).isEqualTo(404);
            assertThat(call(port, "POST", "/health/live").statusCode()).isEqualTo(405);

            electing.set(false);
            assertThat(call(port, "GET", "/health/live").statusCode()).isEqualTo(503);
            assertThat(call(port, "GET", "/health/ready").statusCode()).isEqualTo(503);
        }
    }

    @Test
    void metricsGoToHoldersOfTheInternalTokenOnly() throws Exception {
        Pool pool = Pools.create(vertx, TestDatabases.fresh(), 1);
        String token = "internal-token-for-the-scheduler-test";
        io.lmaas.scheduler.SchedulerMetrics.reconciled("deployments", true, 1_000_000);
        try (SchedulerHealth health = SchedulerHealth.start(vertx, pool, () -> true, "127.0.0.1", 0, token)) {
            assertThat(call(health.port(), "GET", "/metrics").statusCode()).isEqualTo(401);
            HttpResponse<String> scraped = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health.port()
                    + "/metrics")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            assertThat(scraped.body()).contains("lmaas_scheduler_reconcile_seconds_count{loop=\"deployments\",outcome=\"ok\"}",
                    "lmaas_scheduler_work_queue_depth", "jvm_memory_used_bytes");
        }
    }

    @Test
    void notReadyWithoutTheDatabase() throws Exception {
        Pool unreachable = Pools.create(vertx, new DatabaseUrl("127.0.0.1", 1, "none", "none", "none"), 1);
        try (SchedulerHealth health = SchedulerHealth.start(vertx, unreachable, () -> true, "127.0.0.1", 0)) {
            assertThat(call(health.port(), "GET", "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = call(health.port(), "GET", "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(new JsonObject(ready.body()).getString("reason")).isEqualTo("database unavailable");
        }
    }
}
