package io.lmaas.deploy.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.testing.TempDirs;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three gateway processes share a PostgreSQL that is stopped (or killed with SIGKILL) for 5 s under a steady load: while
 * it is down requests answer 503 with Retry-After (never 500, never a hang past the client's 20 s), afterwards every
 * gateway serves again within 5 s without a restart, the ledger holds exactly one row per answered request, and the
 * tenant's budget is not exceeded.
 */
class DatabaseRestartUnderLoadTest {
    /** Tokens a day: reached after the restart, so admission runs out across the three gateways too. */
    private static final long BUDGET = 1200;
    private Path dir;
    private EmbeddedDatabase database;
    private DatabaseUrl db;
    private Vertx vertx;
    private Pool pool;
    private WebClient http;
    private StandInWorker worker;
    private final List<GatewayProcess> gateways = new ArrayList<>();
    /** Every classification answer of the test, by status (readiness probes included): what the ledger must match. */
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = TempDirs.create("pg-restart-load");
        database = EmbeddedDatabase.start(dir.resolve("pg"));
        db = database.url();
        Migrations.migrate(db);
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, db, 4);
        http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setConnectTimeout(2000),
                new PoolOptions().setHttp1MaxSize(64));
        worker = StandInWorker.start();
        StandInDeployments.register(pool, worker, "clf");
        for (String id : List.of("a", "b", "c")) {
            gateways.add(GatewayProcess.start(db, id, "--lease-ttl-ms=3000"));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (GatewayProcess g : gateways) {
            g.close();
        }
        worker.close();
        vertx.close().await(10, TimeUnit.SECONDS);
        database.close();
        TempDirs.delete(dir);
    }

    private String tenantKey() throws Exception {
        GatewayProcess g = gateways.get(0);
        String tenant = http.request(HttpMethod.POST, g.port, "127.0.0.1", "/admin/v1/tenants").bearerTokenAuthentication(
                GatewayProcess.ADMIN).sendJsonObject(new JsonObject().put("name", "restart")).await(30, TimeUnit.SECONDS)
                .bodyAsJsonObject().getString("id");
        http.request(HttpMethod.PUT, g.port, "127.0.0.1", "/admin/v1/tenants/" + tenant + "/limits").bearerTokenAuthentication(
                GatewayProcess.ADMIN).sendJsonObject(new JsonObject().put("tokens_per_day", BUDGET)).await(30, TimeUnit.SECONDS);
        String key = http.request(HttpMethod.POST, g.port, "127.0.0.1", "/admin/v1/tenants/" + tenant + "/keys")
                .bearerTokenAuthentication(GatewayProcess.ADMIN).sendJsonObject(new JsonObject().put("name", "k"))
                .await(30, TimeUnit.SECONDS).bodyAsJsonObject().getString("key");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateways.stream().allMatch(x -> classify(x, key) == 200));
        return key;
    }

    private int classify(GatewayProcess g, String key) {
        int status;
        try {
            status = http.post(g.port, "127.0.0.1", "/v1/classifications").bearerTokenAuthentication(key).timeout(20_000)
                    .sendJsonObject(new JsonObject().put("model", "clf").put("input", "one two three")).await(25, TimeUnit.SECONDS)
                    .statusCode();
        } catch (Exception e) {
            status = -1; // no answer within 20 s (a hang), or the connection failed
        }
        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        return status;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void answersStay503AndExactWhileThePostgresRestarts(boolean kill) throws Exception {
        String key = tenantKey();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch stopped = new CountDownLatch(6);
        for (int c = 0; c < 6; c++) {
            GatewayProcess g = gateways.get(c % 3);
            Thread t = new Thread(() -> {
                while (running.get()) {
                    classify(g, key);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                stopped.countDown();
            });
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep(1500);
        if (kill) {
            long pid = Long.parseLong(Files.readAllLines(dir.resolve("pg").resolve("postmaster.pid")).get(0).trim());
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(10)).until(() -> !database.alive());
        } else {
            database.stop();
        }
        Thread.sleep(5000);
        database.restart();
        long back = System.nanoTime();
        double[] recovered = new double[3];
        for (int i = 0; i < 3; i++) {
            GatewayProcess g = gateways.get(i);
            int index = i;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                int s = classify(g, key);
                recovered[index] = (System.nanoTime() - back) / 1e9;
                return s == 200 || s == 402;
            });
        }
        // The load goes on until the budget is spent (402s): admission stays exact after the restart.
        await().atMost(Duration.ofSeconds(60)).until(() -> statuses.containsKey(402));
        Thread.sleep(500);
        running.set(false);
        assertThat(stopped.await(60, TimeUnit.SECONDS)).isTrue();
        System.out.printf("PostgreSQL %s for 5 s: answers %s; gateways serving again after %.1f / %.1f / %.1f s%n",
                kill ? "killed" : "stopped", statuses, recovered[0], recovered[1], recovered[2]);

        assertThat(statuses.keySet()).as("answers during the restart (-1: none within 20 s)").isSubsetOf(200, 402, 503);
        assertThat(statuses).containsKey(503);
        assertThat(java.util.Arrays.stream(recovered).max().orElseThrow()).as("slowest gateway to serve again, s").isLessThan(5.0);
        long answered = statuses.getOrDefault(200, new AtomicInteger()).get();
        long rows = pool.preparedQuery("SELECT count(*) AS n, coalesce(sum(prompt_tokens + completion_tokens), 0) AS t"
                        + " FROM usage_ledger WHERE key_id = $1 AND status = 200").execute(Tuple.of(key.substring(3, 15)))
                .await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
        assertThat(rows).as("ledger rows of answered requests").isEqualTo(answered);
        long tokens = pool.preparedQuery("SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS t FROM usage_ledger"
                + " WHERE key_id = $1 AND status = 200").execute(Tuple.of(key.substring(3, 15))).await(10, TimeUnit.SECONDS)
                .iterator().next().getLong("t");
        assertThat(tokens).as("tokens admitted").isLessThanOrEqualTo(BUDGET);
    }
}
