package io.lmaas.deploy.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Pools;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three real gateway processes on one PostgreSQL: quotas are exact across them, a replica killed with
 * SIGKILL while holding a lease causes no over-admission, and streams cut by a SIGKILL leave a ledger
 * with exactly one row for every answer that completed.
 */
class GatewayReplicasTest {
    private DatabaseUrl db;
    private Vertx vertx;
    private Pool pool;
    private WebClient http;
    private StandInWorker worker;
    private final List<GatewayProcess> gateways = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabases.fresh();
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, db, 4);
        http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(128));
        worker = StandInWorker.start();
        StandInDeployments.register(pool, worker, "clf", "gen");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (GatewayProcess g : gateways) {
            g.close();
        }
        worker.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private GatewayProcess gateway(String id) throws Exception {
        GatewayProcess g = GatewayProcess.start(db, id, "--lease-ttl-ms=3000");
        gateways.add(g);
        return g;
    }

    private HttpResponse<Buffer> call(GatewayProcess g, HttpMethod method, String path, String bearer, JsonObject body)
            throws Exception {
        var req = http.request(method, g.port, "127.0.0.1", path);
        if (bearer != null) {
            req.bearerTokenAuthentication(bearer);
        }
        return (body == null ? req.send() : req.sendJsonObject(body)).await(30, TimeUnit.SECONDS);
    }

    /** A tenant with the given limits and a key, usable on every gateway. */
    private String tenantKey(String name, JsonObject limits) throws Exception {
        GatewayProcess g = gateways.get(0);
        String tenant = call(g, HttpMethod.POST, "/admin/v1/tenants", GatewayProcess.ADMIN, new JsonObject().put("name", name))
                .bodyAsJsonObject().getString("id");
        call(g, HttpMethod.PUT, "/admin/v1/tenants/" + tenant + "/limits", GatewayProcess.ADMIN, limits);
        String key = call(g, HttpMethod.POST, "/admin/v1/tenants/" + tenant + "/keys", GatewayProcess.ADMIN,
                new JsonObject().put("name", "k")).bodyAsJsonObject().getString("key");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateways.stream().allMatch(x -> {
            try {
                return call(x, HttpMethod.GET, "/v1/models/clf", key, null).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }));
        return key;
    }

    private List<Integer> flood(List<GatewayProcess> targets, String key, int clients, int each, String input) throws Exception {
        List<Future<List<Integer>>> loops = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Future<List<Integer>> loop = Future.succeededFuture(new ArrayList<>());
            for (int i = 0; i < each; i++) {
                GatewayProcess g = targets.get((client + i) % targets.size());
                loop = loop.compose(acc -> http.post(g.port, "127.0.0.1", "/v1/classifications").bearerTokenAuthentication(key)
                        .sendJsonObject(new JsonObject().put("model", "clf").put("input", input))
                        .map(r -> {
                            acc.add(r.statusCode());
                            return acc;
                        }));
            }
            loops.add(loop);
        }
        Future.all(loops).await(60, TimeUnit.SECONDS);
        List<Integer> all = new ArrayList<>();
        loops.forEach(l -> all.addAll(l.result()));
        return all;
    }

    private long tokensUsed(String key) throws Exception {
        String keyId = key.substring(3, 15);
        return pool.preparedQuery("SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS t FROM usage_ledger"
                        + " WHERE key_id = $1 AND status = 200").execute(Tuple.of(keyId))
                .await(10, TimeUnit.SECONDS).iterator().next().getLong("t");
    }

    @Test
    void requestsPerMinuteAreExactAcrossThreeProcesses() throws Exception {
        List<GatewayProcess> all = List.of(gateway("a"), gateway("b"), gateway("c"));
        String key = tenantKey("rpm-replicas", new JsonObject().put("rpm", 40));
        await().atMost(Duration.ofSeconds(60)).until(() -> Instant.now().atZone(ZoneOffset.UTC).getSecond() < 45);
        List<Integer> statuses = flood(all, key, 64, 5, "a good day");
        assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(40);
        assertThat(statuses.stream().filter(s -> s == 429).count()).isEqualTo(320 - 40);
    }

    @Test
    void aReplicaKilledWhileHoldingALeaseCausesNoOverAdmission() throws Exception {
        GatewayProcess a = gateway("a");
        GatewayProcess b = gateway("b");
        GatewayProcess doomed = gateway("doomed");
        String key = tenantKey("lease-kill", new JsonObject().put("tokens_per_day", 800));
        // The doomed replica leases a slice (at least 50 tokens), uses 6 of it, and is killed holding the rest.
        assertThat(call(doomed, HttpMethod.POST, "/v1/classifications", key, new JsonObject().put("model", "clf")
                .put("input", "one two three four five six")).statusCode()).isEqualTo(200);
        doomed.kill9();
        gateways.remove(doomed);

        List<Integer> first = flood(List.of(a, b), key, 16, 10, "one two three four five six");
        long afterFirst = tokensUsed(key);
        assertThat(first).contains(402);
        assertThat(afterFirst).isLessThanOrEqualTo(800 - 44);

        // After the lease expires (3 s), its unused part is admitted again, and never more than the budget.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> flood(List.of(a, b), key, 4, 2, "one two three four five six").contains(200));
        flood(List.of(a, b), key, 16, 10, "one two three four five six");
        long total = tokensUsed(key);
        assertThat(total).isGreaterThan(afterFirst).isLessThanOrEqualTo(800);
        assertThat(total).isGreaterThan(800 - 2 * 50 - 34);
    }

    @Test
    void aGatewayKilledWithStreamsOpenLeavesExactlyOneRowPerCompletedAnswer() throws Exception {
        GatewayProcess victim = gateway("victim");
        GatewayProcess other = gateway("other");
        String key = tenantKey("stream-kill", new JsonObject());
        worker.tokenDelay(Duration.ofMillis(25));
        HttpClient client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions(),
                new PoolOptions().setHttp1MaxSize(64));
        Map<String, Boolean> completed = new ConcurrentHashMap<>();
        List<Future<Void>> streams = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String requestId = "stream-" + i;
            int tokens = i % 2 == 0 ? 4 : 400;   // half finish quickly, half are still streaming at the kill
            completed.put(requestId, false);
            streams.add(client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(victim.port)
                            .setURI("/v1/completions").putHeader("authorization", "Bearer " + key)
                            .putHeader("x-request-id", requestId))
                    .compose(req -> req.send(new JsonObject().put("model", "gen").put("prompt", "p").put("max_tokens", tokens)
                            .put("stream", true).toBuffer()))
                    .compose(HttpClientResponse::body)
                    .map(body -> {
                        if (body.toString().contains("data: [DONE]")) {
                            completed.put(requestId, true);
                        }
                        return (Void) null;
                    })
                    .otherwiseEmpty());
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> completed.values().stream().filter(v -> v).count() >= 12);
        victim.kill9();
        gateways.remove(victim);
        Future.join(streams).otherwiseEmpty().await(30, TimeUnit.SECONDS);
        // The restarted gateway and the survivor keep serving; nothing is written twice.
        GatewayProcess restarted = gateway("victim-restarted");
        assertThat(call(restarted, HttpMethod.GET, "/v1/models", key, null).statusCode()).isEqualTo(200);
        assertThat(call(other, HttpMethod.GET, "/v1/models", key, null).statusCode()).isEqualTo(200);

        Map<String, List<Row>> rows = new ConcurrentHashMap<>();
        pool.query("SELECT * FROM usage_ledger WHERE client_request_id LIKE 'stream-%'").execute().await(10, TimeUnit.SECONDS)
                .forEach(r -> rows.computeIfAbsent(r.getString("client_request_id"), k -> new ArrayList<>()).add(r));
        Set<String> done = completed.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        assertThat(done).hasSizeGreaterThanOrEqualTo(12);
        for (String id : done) {
            assertThat(rows.get(id)).as("ledger rows of completed stream " + id).hasSize(1);
            assertThat(rows.get(id).get(0).getInteger("completion_tokens")).isEqualTo(4);
        }
        rows.values().forEach(list -> assertThat(list).hasSize(1));
        long duplicates = pool.query("SELECT count(*) - count(DISTINCT request_id) AS d FROM usage_ledger").execute()
                .await(10, TimeUnit.SECONDS).iterator().next().getLong("d");
        assertThat(duplicates).isZero();
    }
}
