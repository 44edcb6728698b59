package io.lmaas.deploy.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Pools;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of three gateway processes under load, as Kubernetes does it: a replacement starts, the old one
 * leaves the load balancer, then gets SIGTERM while requests it accepted are still running (the worker takes 2 s to
 * answer). The stopping gateway finishes them (stop accepting, finish in-flight within the deadline, flush the ledger,
 * give back its leases) before it exits. No request goes unanswered, and the ledger has exactly one row per answer.
 */
class GatewayRollingRestartTest {
    private DatabaseUrl db;
    private Vertx vertx;
    private Pool pool;
    private WebClient http;
    private StandInWorker worker;
    private final List<GatewayProcess> live = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    /** Requests each gateway has accepted and not yet answered. */
    private final Map<GatewayProcess, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabases.fresh();
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, db, 4);
        http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false).setConnectTimeout(2000),
                new PoolOptions().setHttp1MaxSize(64));
        worker = StandInWorker.start();
        worker.delay(Duration.ofMillis(2000));
        StandInDeployments.register(pool, worker, "clf");
        for (String id : List.of("a", "b", "c")) {
            live.add(GatewayProcess.start(db, id));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (GatewayProcess g : live) {
            g.close();
        }
        worker.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** One request to a live gateway, retried on another while its connection is refused; the outcome is counted. */
    private void call(String key) {
        for (int attempt = 0; attempt < 20; attempt++) {
            List<GatewayProcess> now = live;
            GatewayProcess g = now.get(ThreadLocalRandom.current().nextInt(now.size()));
            AtomicInteger open = inFlight.computeIfAbsent(g, x -> new AtomicInteger());
            open.incrementAndGet();
            try {
                int status = http.post(g.port, "127.0.0.1", "/v1/classifications").bearerTokenAuthentication(key).timeout(20_000)
                        .sendJsonObject(new JsonObject().put("model", "clf").put("input", "one two three"))
                        .await(25, TimeUnit.SECONDS).statusCode();
                outcomes.computeIfAbsent(String.valueOf(status), s -> new AtomicInteger()).incrementAndGet();
                return;
            } catch (Exception e) {
                if (!(e instanceof ConnectException || e.getCause() instanceof ConnectException)) {
                    outcomes.computeIfAbsent("accepted, then no answer: " + e, s -> new AtomicInteger()).incrementAndGet();
                    return;
                }
            } finally {
                open.decrementAndGet();
            }
        }
        outcomes.computeIfAbsent("no gateway took it", s -> new AtomicInteger()).incrementAndGet();
    }

    @Test
    void aRollingRestartUnderLoadLosesNoRequestAndNoRow() throws Exception {
        GatewayProcess first = live.get(0);
        String tenant = http.request(HttpMethod.POST, first.port, "127.0.0.1", "/admin/v1/tenants").bearerTokenAuthentication(
                GatewayProcess.ADMIN).sendJsonObject(new JsonObject().put("name", "rolling")).await(30, TimeUnit.SECONDS)
                .bodyAsJsonObject().getString("id");
        String key = http.request(HttpMethod.POST, first.port, "127.0.0.1", "/admin/v1/tenants/" + tenant + "/keys")
                .bearerTokenAuthentication(GatewayProcess.ADMIN).sendJsonObject(new JsonObject().put("name", "k"))
                .await(30, TimeUnit.SECONDS).bodyAsJsonObject().getString("key");
        await().atMost(Duration.ofSeconds(10)).until(() -> live.stream().allMatch(g -> {
            try {
                return http.post(g.port, "127.0.0.1", "/v1/classifications").bearerTokenAuthentication(key)
                        .sendJsonObject(new JsonObject().put("model", "clf").put("input", "warm up")).await(25, TimeUnit.SECONDS)
                        .statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }));
        long warmUp = rows(key);

        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(8);
        for (int c = 0; c < 8; c++) {
            Thread t = new Thread(() -> {
                while (running.get()) {
                    call(key);
                }
                done.countDown();
            });
            t.setDaemon(true);
            t.start();
        }
        int runningAtSigterm = 0;
        for (String next : List.of("a2", "b2", "c2")) {
            Thread.sleep(1500);
            GatewayProcess old = live.get(0);
            GatewayProcess replacement = GatewayProcess.start(db, next);
            live.add(replacement);
            await().atMost(Duration.ofSeconds(20)).until(() -> inFlight.getOrDefault(old, new AtomicInteger()).get() >= 2);
            live.remove(old); // out of the load balancer: no new requests; those it accepted are still running
            Thread.sleep(300);
            runningAtSigterm += inFlight.getOrDefault(old, new AtomicInteger()).get();
            old.close(); // SIGTERM, then waits for the process to finish its shutdown
            assertThat(old.process.exitValue()).as("gateway %s exit status after SIGTERM", old.id).isIn(0, 143);
        }
        Thread.sleep(1500);
        running.set(false);
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        System.out.println("rolling restart of three gateways under load: " + outcomes + "; " + runningAtSigterm
                + " requests were running on the gateways when they got SIGTERM");
        assertThat(runningAtSigterm).as("requests in flight at the SIGTERMs (what the test is about)").isPositive();

        assertThat(outcomes.keySet()).as("every request got an answer, and only 200s").containsExactly("200");
        assertThat(rows(key) - warmUp).as("ledger rows = answers").isEqualTo(outcomes.get("200").get());
    }

    private long rows(String key) throws Exception {
        return pool.preparedQuery("SELECT count(*) AS n FROM usage_ledger WHERE key_id = $1 AND status = 200")
                .execute(Tuple.of(key.substring(3, 15))).await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
    }
}
