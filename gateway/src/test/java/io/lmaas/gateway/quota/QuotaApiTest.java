package io.lmaas.gateway.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Quotas over real HTTP: three gateway instances on one PostgreSQL, 64 concurrent clients. */
class QuotaApiTest {
    private static Gateways gateways;
    private static StandInWorker worker;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(3, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("clf", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    /** {@code clients} concurrent clients, each sending {@code each} requests one after another, round robin over instances. */
    private static List<HttpResponse<Buffer>> flood(String key, int clients, int each, String input) throws Exception {
        List<Future<List<HttpResponse<Buffer>>>> loops = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Future<List<HttpResponse<Buffer>>> loop = Future.succeededFuture(new ArrayList<>());
            for (int i = 0; i < each; i++) {
                int instance = (client + i) % gateways.size();
                loop = loop.compose(acc -> gateways.http.post(gateways.port(instance), "127.0.0.1", "/v1/classifications")
                        .bearerTokenAuthentication(key)
                        .sendJsonObject(new JsonObject().put("model", "clf").put("input", input))
                        .map(r -> {
                            acc.add(r);
                            return acc;
                        }));
            }
            loops.add(loop);
        }
        Future.all(loops).await(60, TimeUnit.SECONDS);
        List<HttpResponse<Buffer>> all = new ArrayList<>();
        loops.forEach(l -> all.addAll(l.result()));
        return all;
    }

    private static void awaitMinuteRoom() {
        await().atMost(Duration.ofSeconds(60)).until(() -> Instant.now().atZone(ZoneOffset.UTC).getSecond() < 45);
    }

    @Test
    void threeInstancesAdmitExactlyTheRequestsPerMinute() throws Exception {
        String tenant = gateways.tenant("rpm-co");
        String key = gateways.key(tenant);
        gateways.awaitModel("clf", key);
        gateways.limits(tenant, new JsonObject().put("rpm", 50));
        awaitMinuteRoom();
        double rejectedBefore = counted("lmaas_gateway_quota_rejections", "rate_limit_exceeded");
        double errorsBefore = counted("lmaas_gateway_errors", "rate_limit_exceeded");

        List<HttpResponse<Buffer>> responses = flood(key, 64, 5, "a good day");
        List<HttpResponse<Buffer>> ok = responses.stream().filter(r -> r.statusCode() == 200).toList();
        List<HttpResponse<Buffer>> limited = responses.stream().filter(r -> r.statusCode() == 429).toList();
        assertThat(ok).hasSize(50);
        assertThat(limited).hasSize(320 - 50);
        HttpResponse<Buffer> refused = limited.get(0);
        assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("rate_limit_exceeded");
        assertThat(Integer.parseInt(refused.getHeader("retry-after"))).isBetween(1, 60);
        HttpResponse<Buffer> admitted = ok.get(0);
        assertThat(admitted.getHeader("x-ratelimit-limit-requests")).isEqualTo("50");
        assertThat(Long.parseLong(admitted.getHeader("x-ratelimit-remaining-requests"))).isBetween(0L, 50L);
        assertThat(admitted.getHeader("x-ratelimit-reset-requests")).matches("\\d+(ms|s)|\\d+m\\d+s");

        long rows = gateways.pool.preparedQuery("SELECT count(*) AS n FROM usage_ledger WHERE tenant_id = $1 AND endpoint = '/v1/classifications'")
                .execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
        assertThat(rows).isEqualTo(320);

        // Every refusal is counted once, by reason, in the gateways' metrics; /metrics needs the internal token.
        assertThat(counted("lmaas_gateway_quota_rejections", "rate_limit_exceeded") - rejectedBefore).isEqualTo(270);
        assertThat(counted("lmaas_gateway_errors", "rate_limit_exceeded") - errorsBefore).isEqualTo(270);
        assertThat(gateways.call(0, io.vertx.core.http.HttpMethod.GET, "/metrics", null, null).statusCode()).isEqualTo(401);
        assertThat(gateways.call(0, io.vertx.core.http.HttpMethod.GET, "/metrics", key, null).statusCode()).isEqualTo(401);
        HttpResponse<Buffer> scraped = gateways.call(0, io.vertx.core.http.HttpMethod.GET, "/metrics", StandInWorker.TOKEN, null);
        assertThat(scraped.statusCode()).isEqualTo(200);
        assertThat(scraped.bodyAsString()).contains("lmaas_gateway_quota_rejections_total{", "reason=\"rate_limit_exceeded\"",
                "lmaas_gateway_ledger_commit_seconds_count{", "lmaas_gateway_ledger_queue_depth{", "lmaas_gateway_leases_held{",
                "lmaas_gateway_lease_acquisitions_total{", "cache_gets_total{cache=\"api_keys\"", "jvm_memory_used_bytes");
    }

    private static double counted(String meter, String code) {
        var registry = io.lmaas.core.metrics.ProcessMetrics.registry();
        return registry.find(meter).tag(meter.endsWith("errors") ? "code" : "reason", code).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    @Test
    void admittedTokensNeverExceedTheDailyBudget() throws Exception {
        String tenant = gateways.tenant("tokens-co");
        String key = gateways.key(tenant);
        gateways.awaitModel("clf", key);
        gateways.limits(tenant, new JsonObject().put("tokens_per_day", 2000));
        // Each request reserves 34 tokens (bytes + 2) and uses 6 (words): settlement lets far more than 58 through.
        List<HttpResponse<Buffer>> responses = flood(key, 64, 8, "one two three four five six_______");
        long used = gateways.pool.preparedQuery("SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS t"
                        + " FROM usage_ledger WHERE tenant_id = $1 AND status = 200")
                .execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).iterator().next().getLong("t");
        assertThat(used).isLessThanOrEqualTo(2000).isGreaterThan(2000 - 3 * 125);
        assertThat(responses.stream().filter(r -> r.statusCode() == 200).count()).isGreaterThan(200);
        HttpResponse<Buffer> refused = responses.stream().filter(r -> r.statusCode() == 402).findFirst().orElseThrow();
        assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("quota_exceeded");
        assertThat(refused.getHeader("retry-after")).isNull();
        assertThat(responses).allMatch(r -> r.statusCode() == 200 || r.statusCode() == 402);
    }

    @Test
    void concurrentRequestsAreCappedAcrossInstances() throws Exception {
        String tenant = gateways.tenant("concurrency-co");
        String key = gateways.key(tenant);
        gateways.awaitModel("clf", key);
        gateways.limits(tenant, new JsonObject().put("max_concurrent", 2));
        worker.delay(Duration.ofMillis(300));
        try {
            worker.resetMaxInFlight();
            List<HttpResponse<Buffer>> responses = flood(key, 12, 2, "a good day");
            assertThat(worker.maxInFlight()).isLessThanOrEqualTo(2);
            assertThat(responses.stream().filter(r -> r.statusCode() == 200).count()).isGreaterThanOrEqualTo(2);
            HttpResponse<Buffer> refused = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
            assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("concurrency_limit_exceeded");
        } finally {
            worker.delay(Duration.ZERO);
        }
    }

    @Test
    void aLimitChangeAppliesOnEveryInstanceWithinASecond() throws Exception {
        String tenant = gateways.tenant("change-co");
        String key = gateways.key(tenant);
        gateways.awaitModel("clf", key);
        gateways.limits(tenant, new JsonObject().put("tokens_per_day", 1_000_000));
        assertThat(flood(key, 3, 1, "a good day")).allMatch(r -> r.statusCode() == 200);
        gateways.limits(tenant, new JsonObject().put("tokens_per_day", 0));
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> flood(key, 3, 1, "a good day").stream().allMatch(r -> r.statusCode() == 402));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        gateways.limits(tenant, new JsonObject());
        await().atMost(Duration.ofSeconds(1)).until(() -> flood(key, 3, 1, "a good day").stream()
                .allMatch(r -> r.statusCode() == 200));
    }
}
