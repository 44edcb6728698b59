package io.lmaas.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway over real HTTP against real PostgreSQL. The model worker behind it is a stand-in speaking
 * the worker protocol (the real worker is covered by the worker and platform tests), so that routing,
 * fail-over and error mapping can be driven precisely.
 */
class GatewayApiTest {
    private static final String ADMIN = Gateways.ADMIN;
    private static Gateways gateways;
    private static StandInWorker worker;
    private static Pool pool;
    private static int workerPort;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        pool = gateways.pool;
        worker = StandInWorker.start();
        workerPort = Integer.parseInt(worker.url().substring(worker.url().lastIndexOf(':') + 1));
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    private static HttpResponse<Buffer> call(HttpMethod method, String path, String bearer, String body) throws Exception {
        return gateways.call(0, method, path, bearer, body);
    }

    private static JsonObject error(HttpResponse<Buffer> r) {
        return r.bodyAsJsonObject().getJsonObject("error");
    }

    private static String tenant(String name) throws Exception {
        return gateways.tenant(name);
    }

    private static String key(String tenantId) throws Exception {
        return gateways.key(tenantId);
    }

    private static void model(String id, ModelTask task, String owner, String... urls) throws Exception {
        gateways.model(id, task, owner, urls);
    }

    private static List<Row> usageRows(String tenantId) throws Exception {
        List<Row> rows = new ArrayList<>();
        pool.preparedQuery("SELECT * FROM usage_ledger WHERE tenant_id = $1 ORDER BY created_at").execute(Tuple.of(tenantId))
                .await(10, TimeUnit.SECONDS).forEach(rows::add);
        return rows;
    }

    @Test
    void adminApiNeedsTheAdminToken() throws Exception {
        assertThat(call(HttpMethod.POST, "/admin/v1/tenants", null, "{\"name\":\"x\"}").statusCode()).isEqualTo(401);
        HttpResponse<Buffer> wrong = call(HttpMethod.POST, "/admin/v1/tenants", "nope", "{\"name\":\"x\"}");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(error(wrong).getString("code")).isEqualTo("invalid_admin_token");
    }

    @Test
    void tenantsAndKeysValidateTheirInput() throws Exception {
        String id = tenant("validation-co");
        HttpResponse<Buffer> dup = call(HttpMethod.POST, "/admin/v1/tenants", ADMIN, "{\"name\":\"validation-co\"}");
        assertThat(dup.statusCode()).isEqualTo(409);
        assertThat(error(dup).getString("code")).isEqualTo("tenant_exists");
        HttpResponse<Buffer> blank = call(HttpMethod.POST, "/admin/v1/tenants", ADMIN, "{\"name\":\"  \"}");
        assertThat(blank.statusCode()).isEqualTo(400);
        assertThat(error(blank).getString("param")).isEqualTo("name");
        HttpResponse<Buffer> notJson = call(HttpMethod.POST, "/admin/v1/tenants", ADMIN, "[1,2]");
        assertThat(error(notJson).getString("code")).isEqualTo("invalid_json");
        HttpResponse<Buffer> noTenant = call(HttpMethod.POST, "/admin/v1/tenants/tn-nope/keys", ADMIN, "{\"name\":\"k\"}");
        assertThat(noTenant.statusCode()).isEqualTo(404);
        assertThat(error(noTenant).getString("code")).isEqualTo("tenant_not_found");
        assertThat(call(HttpMethod.GET, "/admin/v1/tenants/" + id, ADMIN, null).bodyAsJsonObject().getString("name"))
                .isEqualTo("validation-co");
        assertThat(call(HttpMethod.GET, "/admin/v1/tenants/" + id + "/usage?limit=0", ADMIN, null).statusCode()).isEqualTo(400);
    }

    @Test
    void tenantApiAuthenticatesKeysAndMetersEveryAuthenticatedRequestOnce() throws Exception {
        model("sentiment", ModelTask.TEXT_CLASSIFICATION, null, "http://127.0.0.1:" + workerPort);
        String tenant = tenant("metered-co");
        String key = key(tenant);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                call(HttpMethod.GET, "/v1/models/sentiment", key, null).statusCode() == 200);

        assertThat(call(HttpMethod.GET, "/v1/models", null, null).statusCode()).isEqualTo(401);
        String wrongSecret = key.substring(0, key.length() - 4) + "AAAA";
        HttpResponse<Buffer> bad = call(HttpMethod.GET, "/v1/models", wrongSecret, null);
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(error(bad).getString("code")).isEqualTo("invalid_api_key");
        assertThat(bad.bodyAsString()).doesNotContain(wrongSecret);

        ch.qos.logback.classic.Logger requestLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(io.lmaas.core.logging.RequestLog.LOGGER);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        requestLog.addAppender(logged);
        ch.qos.logback.classic.Level level = requestLog.getLevel();
        requestLog.setLevel(ch.qos.logback.classic.Level.INFO);
        HttpResponse<Buffer> ok;
        try {
            ok = gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/classifications")
                    .bearerTokenAuthentication(key)
                    .putHeader("x-request-id", "my-request-1")
                    .sendJsonObject(new JsonObject().put("model", "sentiment").put("input", new JsonArray().add("a good day").add("rain")))
                    .await(10, TimeUnit.SECONDS);
            // One structured line for the request: the gateway's id, the client's, who, which model, tokens.
            await().atMost(Duration.ofSeconds(5)).until(() -> logged.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().startsWith("POST /v1/classifications 200")));
        } finally {
            requestLog.detachAppender(logged);
            requestLog.setLevel(level);
        }
        java.util.Map<String, Object> line = new java.util.HashMap<>();
        logged.list.stream().filter(e -> e.getFormattedMessage().startsWith("POST /v1/classifications 200")).findFirst()
                .orElseThrow().getKeyValuePairs().forEach(kv -> line.put(kv.key, kv.value));
        assertThat(line).containsEntry("client_request_id", "my-request-1").containsEntry("tenant_id", tenant)
                .containsEntry("model", "sentiment").containsEntry("prompt_tokens", 4).containsEntry("status", 200);
        assertThat((String) line.get("request_id")).startsWith("req-");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.getHeader("x-request-id")).isEqualTo("my-request-1");
        JsonObject body = ok.bodyAsJsonObject();
        assertThat(body.getString("object")).isEqualTo("list");
        assertThat(body.getJsonArray("data").getJsonObject(0).getString("label")).isEqualTo("positive");
        assertThat(body.getJsonArray("data").getJsonObject(1).getInteger("index")).isEqualTo(1);
        assertThat(body.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(4);

        assertThat(call(HttpMethod.POST, "/v1/classifications", key, "{\"model\":\"sentiment\"}").statusCode()).isEqualTo(400);
        assertThat(call(HttpMethod.POST, "/v1/classifications", key, "{\"model\":\"ghost\",\"input\":\"x\"}").statusCode())
                .isEqualTo(404);
        assertThat(call(HttpMethod.POST, "/v1/nowhere", key, "{}").statusCode()).isEqualTo(404);
        assertThat(call(HttpMethod.GET, "/v1/classifications", key, null).statusCode()).isEqualTo(405);

        List<Row> rows = usageRows(tenant);
        assertThat(rows).extracting(r -> r.getInteger("status")).containsExactlyInAnyOrder(200, 200, 400, 404, 404, 405);
        Row classified = rows.stream().filter(r -> "my-request-1".equals(r.getString("client_request_id"))).findFirst()
                .orElseThrow();
        assertThat(classified.getString("request_id")).startsWith("req-");
        assertThat(classified.getString("model")).isEqualTo("sentiment");
        assertThat(classified.getInteger("prompt_tokens")).isEqualTo(4);
        assertThat(classified.getString("endpoint")).isEqualTo("/v1/classifications");

        JsonObject usage = call(HttpMethod.GET, "/admin/v1/tenants/" + tenant + "/usage", ADMIN, null).bodyAsJsonObject();
        assertThat(usage.getJsonObject("totals").getLong("requests")).isEqualTo(6);
        assertThat(usage.getJsonObject("totals").getLong("prompt_tokens")).isEqualTo(4);
        assertThat(usage.getJsonArray("data")).hasSize(6);

        // The secret appears in no stored row: not in usage, not in audit, not in the key table.
        String secret = key.substring(key.lastIndexOf('-') + 1);
        for (String table : List.of("usage_ledger", "audit_log", "api_keys", "tenants")) {
            String dump = pool.query("SELECT t::text FROM " + table + " t").execute().await(10, TimeUnit.SECONDS)
                    .iterator().next().getString(0);
            assertThat(dump).as(table).doesNotContain(secret);
        }
    }

    @Test
    void routesAroundDeadReplicasAndSaysWhenNoneIsReady() throws Exception {
        model("failover", ModelTask.TEXT_CLASSIFICATION, null, "http://127.0.0.1:1", "http://127.0.0.1:" + workerPort);
        model("dark", ModelTask.TEXT_CLASSIFICATION, null);
        String key = key(tenant("failover-co"));
        await().atMost(Duration.ofSeconds(5)).until(() ->
                call(HttpMethod.GET, "/v1/models/failover", key, null).statusCode() == 200);
        for (int i = 0; i < 4; i++) {
            assertThat(call(HttpMethod.POST, "/v1/classifications", key, "{\"model\":\"failover\",\"input\":\"good\"}")
                    .statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(5)).until(() ->
                call(HttpMethod.GET, "/v1/models/dark", key, null).statusCode() == 200);
        HttpResponse<Buffer> dark = call(HttpMethod.POST, "/v1/classifications", key, "{\"model\":\"dark\",\"input\":\"x\"}");
        assertThat(dark.statusCode()).isEqualTo(503);
        assertThat(dark.getHeader("retry-after")).isEqualTo("2");
        assertThat(error(dark).getString("code")).isEqualTo("model_not_ready");
    }

    @Test
    void anotherTenantsModelIsInvisibleAndTasksAreChecked() throws Exception {
        String owner = tenant("owner-co");
        String other = key(tenant("other-co"));
        model("private-" + owner, ModelTask.TEXT_CLASSIFICATION, owner, "http://127.0.0.1:" + workerPort);
        model("writer", ModelTask.TEXT_GENERATION, null, "http://127.0.0.1:" + workerPort);
        String ownerKey = key(owner);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                call(HttpMethod.GET, "/v1/models/private-" + owner, ownerKey, null).statusCode() == 200);

        assertThat(call(HttpMethod.GET, "/v1/models", other, null).bodyAsJsonObject().getJsonArray("data").stream()
                .map(o -> ((JsonObject) o).getString("id"))).doesNotContain("private-" + owner).contains("writer");
        HttpResponse<Buffer> hiddenModel = call(HttpMethod.GET, "/v1/models/private-" + owner, other, null);
        assertThat(hiddenModel.statusCode()).isEqualTo(404);
        assertThat(call(HttpMethod.GET, "/v1/models/private-" + owner, ownerKey, null).statusCode()).isEqualTo(200);
        HttpResponse<Buffer> hidden = call(HttpMethod.POST, "/v1/classifications", other,
                "{\"model\":\"private-" + owner + "\",\"input\":\"x\"}");
        assertThat(hidden.statusCode()).isEqualTo(404);
        assertThat(error(hidden).getString("code")).isEqualTo("model_not_found");
        HttpResponse<Buffer> wrongTask = call(HttpMethod.POST, "/v1/classifications", other, "{\"model\":\"writer\",\"input\":\"x\"}");
        assertThat(wrongTask.statusCode()).isEqualTo(400);
        assertThat(error(wrongTask).getString("code")).isEqualTo("unsupported_model_task");
    }
}
