package io.lmaas.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

/**
 * The usage ledger over real HTTP: streams (complete, cut by the client), usage reports from roll-ups,
 * hardening of inputs, and no issued secret anywhere in logs or stored rows.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LedgerApiTest {
    private static Gateways gateways;
    private static StandInWorker worker;
    private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();
    private static final List<String> SECRETS = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(ch.qos.logback.classic.Level.DEBUG);
        LOGS.start();
        root.addAppender(LOGS);
        gateways = Gateways.start(2, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("gen", ModelTask.TEXT_GENERATION, null, worker.url());
        gateways.model("clf", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
    }

    private static String key(String tenant) throws Exception {
        String key = gateways.key(tenant);
        SECRETS.add(key.substring(key.lastIndexOf('-') + 1));
        return key;
    }

    private static List<Row> rows(String tenant) throws Exception {
        List<Row> out = new ArrayList<>();
        gateways.pool.preparedQuery("SELECT * FROM usage_ledger WHERE tenant_id = $1").execute(Tuple.of(tenant))
                .await(10, TimeUnit.SECONDS).forEach(out::add);
        return out;
    }

    @Test
    void aStreamedCompletionIsRelayedAsServerSentEventsAndMeteredOnce() throws Exception {
        String tenant = gateways.tenant("stream-co");
        String key = key(tenant);
        gateways.awaitModel("gen", key);
        gateways.limits(tenant, new JsonObject().put("tpm", 100_000));
        HttpResponse<Buffer> r = gateways.call(1, HttpMethod.POST, "/v1/completions", key, new JsonObject().put("model", "gen")
                .put("prompt", "once upon a time").put("max_tokens", 7).put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true)).encode());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("content-type")).startsWith("text/event-stream");
        assertThat(r.getHeader("x-ratelimit-limit-tokens")).isEqualTo("100000");
        List<String> events = r.bodyAsString().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        List<JsonObject> chunks = events.subList(0, events.size() - 1).stream().map(JsonObject::new).toList();
        StringBuilder text = new StringBuilder();
        chunks.stream().filter(c -> !c.getJsonArray("choices").isEmpty())
                .forEach(c -> text.append(c.getJsonArray("choices").getJsonObject(0).getString("text")));
        assertThat(text.toString()).isEqualTo(" tok".repeat(7));
        JsonObject last = chunks.get(chunks.size() - 2).getJsonArray("choices").getJsonObject(0);
        assertThat(last.getString("finish_reason")).isEqualTo("length");
        JsonObject usage = chunks.get(chunks.size() - 1).getJsonObject("usage");
        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(4);
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(7);
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.getString("object")).isEqualTo("text_completion");
            assertThat(c.getString("id")).isEqualTo(chunks.get(0).getString("id"));
        });
        Row row = rows(tenant).stream().filter(x -> x.getString("endpoint").equals("/v1/completions")).findFirst().orElseThrow();
        assertThat(row.getInteger("completion_tokens")).isEqualTo(7);
        assertThat(row.getInteger("prompt_tokens")).isEqualTo(4);
        assertThat(row.getInteger("status")).isEqualTo(200);
        assertThat(row.getString("error_code")).isNull();
    }

    @Test
    void aClientThatLeavesMidStreamIsBilledForWhatWasProducedAndTheWorkerStops() throws Exception {
        String tenant = gateways.tenant("leaver-co");
        String key = key(tenant);
        gateways.awaitModel("gen", key);
        worker.tokenDelay(Duration.ofMillis(40));
        int cancelledBefore = worker.cancelledStreams();
        HttpClient client = gateways.clientVertx().createHttpClient();
        try {
            List<String> received = new CopyOnWriteArrayList<>();
            HttpClientResponse resp = client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                            .setPort(gateways.port(0)).setURI("/v1/completions").putHeader("authorization", "Bearer " + key))
                    .compose(req -> req.send(new JsonObject().put("model", "gen").put("prompt", "go").put("max_tokens", 200)
                            .put("stream", true).toBuffer()))
                    .await(10, TimeUnit.SECONDS);
            resp.handler(b -> received.add(b.toString()));
            await().atMost(Duration.ofSeconds(10)).until(() -> String.join("", received).split("\" tok\"", -1).length > 5);
            resp.request().connection().close();
            await().atMost(Duration.ofSeconds(5)).until(() -> !rows(tenant).stream()
                    .filter(x -> x.getString("endpoint").equals("/v1/completions")).toList().isEmpty());
            Row row = rows(tenant).stream().filter(x -> x.getString("endpoint").equals("/v1/completions")).findFirst().orElseThrow();
            assertThat(row.getString("error_code")).isEqualTo("client_disconnected");
            assertThat(row.getInteger("completion_tokens")).isBetween(5, 199);
            assertThat(row.getInteger("prompt_tokens")).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> worker.cancelledStreams() > cancelledBefore);
        } finally {
            worker.tokenDelay(Duration.ofMillis(5));
            client.close();
        }
        assertThat(rows(tenant).stream().filter(x -> x.getString("endpoint").equals("/v1/completions")).count()).isEqualTo(1);
    }

    @Test
    void usageReportsGroupByModelKeyAndDayFromRollUps() throws Exception {
        String tenant = gateways.tenant("report-co");
        String k1 = key(tenant);
        String k2 = key(tenant);
        gateways.awaitModel("clf", k1);
        gateways.awaitModel("gen", k2);
        for (int i = 0; i < 3; i++) {
            gateways.call(i % 2, HttpMethod.POST, "/v1/classifications", k1,
                    new JsonObject().put("model", "clf").put("input", "one two three").encode());
        }
        gateways.call(0, HttpMethod.POST, "/v1/completions", k2,
                new JsonObject().put("model", "gen").put("prompt", "a b").put("max_tokens", 5).encode());
        gateways.call(0, HttpMethod.POST, "/v1/completions", k2, new JsonObject().put("model", "gen").put("max_tokens", -1).encode());

        JsonObject byModel = gateways.call(0, HttpMethod.GET, "/v1/usage?group_by=model", k1, null).bodyAsJsonObject();
        JsonObject clf = byModel.getJsonArray("data").stream().map(JsonObject.class::cast)
                .filter(g -> "clf".equals(g.getString("model"))).findFirst().orElseThrow();
        assertThat(clf.getLong("prompt_tokens")).isEqualTo(9);
        JsonObject gen = byModel.getJsonArray("data").stream().map(JsonObject.class::cast)
                .filter(g -> "gen".equals(g.getString("model"))).findFirst().orElseThrow();
        assertThat(gen.getLong("completion_tokens")).isEqualTo(5);
        assertThat(gen.getLong("errors")).isEqualTo(1);

        // The report's own request is metered after it answered: compare with the rows before it.
        List<Row> ledger = rows(tenant).stream().filter(r -> !r.getString("endpoint").equals("/v1/usage")).toList();
        JsonObject totals = byModel.getJsonObject("totals");
        assertThat(totals.getLong("requests")).isEqualTo(ledger.size());
        assertThat(totals.getLong("total_tokens")).isEqualTo(ledger.stream()
                .mapToLong(r -> r.getInteger("prompt_tokens") + r.getInteger("completion_tokens")).sum());

        JsonObject byKey = gateways.admin(HttpMethod.GET, "/tenants/" + tenant + "/usage?group_by=key", null).bodyAsJsonObject();
        assertThat(byKey.getJsonArray("data")).hasSize(2);
        JsonObject byDay = gateways.call(1, HttpMethod.GET, "/v1/usage?group_by=day", k2, null).bodyAsJsonObject();
        assertThat(byDay.getJsonArray("data")).hasSize(1);
        assertThat(byDay.getJsonObject("totals").getLong("total_tokens")).isEqualTo(totals.getLong("total_tokens"));
        assertThat(byDay.getJsonObject("totals").getLong("requests")).isEqualTo(totals.getLong("requests") + 1);
        HttpResponse<Buffer> badGroup = gateways.call(0, HttpMethod.GET, "/v1/usage?group_by=color", k1, null);
        assertThat(badGroup.statusCode()).isEqualTo(400);
        assertThat(badGroup.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("group_by");
        String other = key(gateways.tenant("report-other"));
        assertThat(gateways.call(0, HttpMethod.GET, "/v1/usage", other, null).bodyAsJsonObject().getJsonObject("totals")
                .getLong("requests")).isZero();
    }

    @Test
    void badInputsAreClearClientErrors() throws Exception {
        String tenant = gateways.tenant("hardening-co");
        String key = key(tenant);
        gateways.awaitModel("clf", key);
        HttpResponse<Buffer> big = gateways.call(0, HttpMethod.POST, "/v1/classifications", key,
                new JsonObject().put("model", "clf").put("input", "x".repeat(70_000)).encode());
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(big.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("request_too_large");
        HttpResponse<Buffer> latin1 = gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/classifications")
                .bearerTokenAuthentication(key)
                .sendBuffer(Buffer.buffer(new byte[] {'{', '"', 'm', '"', ':', '"', (byte) 0xe9, '"', '}'}))
                .await(10, TimeUnit.SECONDS);
        assertThat(latin1.statusCode()).isEqualTo(400);
        assertThat(latin1.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("invalid_encoding");
        HttpResponse<Buffer> absurd = gateways.call(0, HttpMethod.POST, "/v1/completions", key,
                new JsonObject().put("model", "clf").put("prompt", "p").put("max_tokens", 1e12).encode());
        assertThat(absurd.statusCode()).isEqualTo(400);
        assertThat(absurd.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("max_tokens");
        HttpResponse<Buffer> weirdId = gateways.http.get(gateways.port(0), "127.0.0.1", "/v1/models").bearerTokenAuthentication(key)
                .putHeader("x-request-id", "bad id with spaces").send().await(10, TimeUnit.SECONDS);
        assertThat(weirdId.getHeader("x-request-id")).startsWith("req-");
        for (HttpResponse<Buffer> r : List.of(big, latin1, absurd)) {
            assertThat(r.bodyAsString()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void noIssuedSecretAppearsInAnyLogLineOrStoredRow() throws Exception {
        String tenant = gateways.tenant("secrets-co");
        JsonObject created = gateways.key(tenant, new JsonObject().put("name", "ci"));
        String key = created.getString("key");
        SECRETS.add(key.substring(key.lastIndexOf('-') + 1));
        gateways.awaitModel("clf", key);
        gateways.call(0, HttpMethod.POST, "/v1/classifications", key, new JsonObject().put("model", "clf").put("input", "x").encode());
        gateways.call(1, HttpMethod.POST, "/v1/classifications", key + "x", "{}");
        gateways.call(1, HttpMethod.POST, "/v1/classifications", key.substring(0, key.length() - 1) + "Z", "{}");
        gateways.call(0, HttpMethod.GET, "/v1/nowhere?key=" + key, key, null);
        String path = "/tenants/" + tenant + "/keys/" + created.getString("id");
        String rotated = gateways.admin(HttpMethod.POST, path + "/rotate", new JsonObject().put("grace_period_seconds", 5))
                .bodyAsJsonObject().getString("key");
        SECRETS.add(rotated.substring(rotated.lastIndexOf('-') + 1));
        gateways.call(0, HttpMethod.POST, "/v1/completions", rotated, new JsonObject().put("model", "gen").put("prompt", "p")
                .put("stream", true).encode());
        gateways.admin(HttpMethod.DELETE, path, null);
        gateways.call(1, HttpMethod.GET, "/v1/usage", rotated, null);

        StringBuilder everything = new StringBuilder();
        List<ILoggingEvent> events;
        synchronized (LOGS) { // AppenderBase appends under the appender's lock; other threads keep logging
            events = new java.util.ArrayList<>(LOGS.list);
        }
        for (ILoggingEvent e : events) {
            everything.append(e.getFormattedMessage()).append('\n');
            if (e.getThrowableProxy() != null) {
                everything.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
            }
        }
        for (String table : List.of("tenants", "api_keys", "usage_ledger", "usage_daily", "audit_log", "tenant_limits",
                "quota_leases", "models", "model_versions", "deployments", "endpoints")) {
            gateways.pool.query("SELECT t::text AS row FROM " + table + " t").execute().await(10, TimeUnit.SECONDS)
                    .forEach(r -> everything.append(r.getString("row")).append('\n'));
        }
        assertThat(events).isNotEmpty();
        assertThat(SECRETS).hasSizeGreaterThan(5);
        for (String secret : SECRETS) {
            assertThat(everything.toString()).doesNotContain(secret);
        }
    }
}
