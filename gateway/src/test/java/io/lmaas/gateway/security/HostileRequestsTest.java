package io.lmaas.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.http.RequestGuards;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.RawHttp;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests an attacker would send, each of which got through or broke something before: scope checks read from the
 * raw path, truncated and stalled requests, NUL and out-of-range values, budgets that refused early or not at all.
 * Real HTTP (some of it byte for byte over a socket), real PostgreSQL, a stand-in worker.
 */
class HostileRequestsTest {
    /** Short bounds so stalled requests are answered within a test's patience. */
    private static final RequestGuards GUARDS = new RequestGuards(Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(3), Duration.ofSeconds(30), 0);
    private static Gateways gateways;
    private static StandInWorker worker;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(0, QuotaService.Settings.DEFAULT);
        gateways.add(QuotaService.Settings.DEFAULT, GUARDS);
        port = gateways.port(0);
        worker = StandInWorker.start();
        gateways.model("hostile-sentiment", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
        gateways.model("hostile-writer", ModelTask.TEXT_GENERATION, null, worker.url());
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    private static RawHttp.Answer raw(String request) throws Exception {
        try (RawHttp http = new RawHttp(port)) {
            return http.send(request).read(10_000);
        }
    }

    private static List<Path> uploadArea() throws Exception {
        return gateways.uploadArea();
    }

    private static List<Path> storedFiles(String tenant) throws Exception {
        Path dir = gateways.artifacts.resolve("files").resolve(tenant);
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    /** Every way of spelling a family's path segment that the router takes for the plain one. */
    private static List<String> spellings(String rest) {
        String family = rest.split("/")[0];
        String encoded = "%" + Integer.toHexString(family.charAt(0)) + family.substring(1) + rest.substring(family.length());
        return List.of("/v1/" + rest, "/v1/" + encoded, "/v1/./" + rest, "/v1//" + rest, "/v1/x/../" + rest);
    }

    @Test
    void endpointScopesFollowTheRouteMatchedHoweverThePathIsSpelled() throws Exception {
        String tenant = gateways.tenant("hostile-scopes");
        String inferenceOnly = gateways.key(tenant, new JsonObject().put("scopes", new JsonObject().put("endpoints",
                new JsonArray().add("inference")))).getString("key");
        String filesOnly = gateways.key(tenant, new JsonObject().put("scopes", new JsonObject().put("endpoints",
                new JsonArray().add("files")))).getString("key");
        String[][] forbidden = {
                {"GET", "files"}, {"GET", "files/file-x"}, {"GET", "files/file-x/content"}, {"DELETE", "files/file-x"},
                {"GET", "fine_tuning/jobs"}, {"POST", "fine_tuning/jobs"}, {"GET", "fine_tuning/jobs/ftjob-x"},
                {"POST", "fine_tuning/jobs/ftjob-x/cancel"}, {"GET", "fine_tuning/jobs/ftjob-x/events"},
                {"GET", "fine_tuning/jobs/ftjob-x/checkpoints"},
                {"GET", "batches"}, {"POST", "batches"}, {"GET", "batches/batch_x"}, {"POST", "batches/batch_x/cancel"}};
        for (String[] endpoint : forbidden) {
            for (String path : spellings(endpoint[1])) {
                RawHttp.Answer a = raw(RawHttp.request(endpoint[0], path, inferenceOnly, "application/json",
                        endpoint[0].equals("POST") ? "{}" : null));
                assertThat(a.status()).as(endpoint[0] + " " + path + ": " + a.body()).isEqualTo(403);
                assertThat(a.json().getJsonObject("error").getString("code")).isEqualTo("insufficient_scope");
            }
        }
        for (String path : spellings("classifications")) {
            RawHttp.Answer a = raw(RawHttp.request("POST", path, filesOnly, "application/json",
                    "{\"model\":\"hostile-sentiment\",\"input\":\"good\"}"));
            assertThat(a.status()).as(path).isEqualTo(403);
        }
        // The same spellings reach the route for a key that may use it: the router did match them.
        for (String path : spellings("files")) {
            assertThat(raw(RawHttp.request("GET", path, filesOnly, null, null)).status()).as(path).isEqualTo(200);
        }
        // An upload refused for its scope writes nothing.
        String boundary = "b0undary";
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
                + "{\"custom_id\":\"1\",\"body\":{}}\n\r\n--" + boundary + "--\r\n";
        for (String path : spellings("files")) {
            RawHttp.Answer a = raw(RawHttp.request("POST", path, inferenceOnly, "multipart/form-data; boundary=" + boundary, multipart));
            assertThat(a.status()).as(path).isEqualTo(403);
        }
        assertThat(storedFiles(tenant)).isEmpty();
        assertThat(uploadArea()).isEmpty();
    }

    @Test
    void truncatedStalledAndSlowRequestsAreAnsweredAndLeaveNothingBehind() throws Exception {
        String key = gateways.key(gateways.tenant("hostile-slow"));
        String boundary = "xyzzy";
        String truncated = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
                + "{\"custom_id\":\"1\",\"body\":{}}\n"; // no closing boundary
        long started = System.nanoTime();
        RawHttp.Answer a = raw(RawHttp.request("POST", "/v1/files", key, "multipart/form-data; boundary=" + boundary, truncated));
        assertThat(a.status()).as(a.body()).isIn(400, 408);
        assertThat(a.json().getJsonObject("error").getString("code")).isIn("invalid_multipart", "request_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(uploadArea()).isEmpty());

        // A body that stops halfway: 408 once the body timeout passes, and the connection is closed.
        try (RawHttp http = new RawHttp(port)) {
            http.send("POST /v1/classifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":");
            RawHttp.Answer stalled = http.read(8_000);
            assertThat(stalled.status()).isEqualTo(408);
            assertThat(stalled.json().getJsonObject("error").getString("code")).isEqualTo("request_timeout");
            assertThat(http.closedWithin(3_000)).isTrue();
        }
        // Headers sent halfway, and a kept-alive connection left idle: both closed once the header timeout passes.
        try (RawHttp http = new RawHttp(port)) {
            http.send("GET /health/live HTTP/1.1\r\nHost: x\r\n");
            assertThat(http.closedWithin(5_000)).isTrue();
        }
        try (RawHttp http = new RawHttp(port)) {
            assertThat(http.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").read(5_000).status()).isEqualTo(200);
            assertThat(http.closedWithin(5_000)).isTrue();
        }
    }

    @Test
    void uploadsAreRefusedWith507WhenTheStoreIsNearlyFull() throws Exception {
        int full = gateways.add(QuotaService.Settings.DEFAULT, new RequestGuards(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(30), Long.MAX_VALUE));
        String tenant = gateways.tenant("hostile-full");
        String key = gateways.key(tenant);
        String boundary = "full";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n{\"custom_id\":\"1\",\"body\":{}}\n\r\n--"
                + boundary + "--\r\n";
        try (RawHttp http = new RawHttp(gateways.port(full))) {
            RawHttp.Answer a = http.send(RawHttp.request("POST", "/v1/files", key, "multipart/form-data; boundary=" + boundary, body))
                    .read(10_000);
            assertThat(a.status()).as(a.body()).isEqualTo(507);
            assertThat(a.json().getJsonObject("error").getString("code")).isEqualTo("insufficient_storage");
        }
        assertThat(storedFiles(tenant)).isEmpty();
        assertThat(uploadArea()).isEmpty();
    }

    @Test
    void valuesPostgresqlRefusesAre400NamingTheParameterAndLeaveNoOrphanFile() throws Exception {
        String tenant = gateways.tenant("hostile-nul");
        String key = gateways.key(tenant);
        String[][] cases = {
                {"GET", "/v1/files/file-%00x", null, "id"},
                {"GET", "/v1/files?after=a%00b", null, "after"},
                {"GET", "/v1/files?purpose=batch%00", null, "purpose"},
                {"GET", "/v1/batches/batch_%00", null, "id"},
                {"GET", "/v1/fine_tuning/jobs?after=%00", null, "after"},
                {"POST", "/v1/classifications", "{\"model\":\"hostile\\u0000sentiment\",\"input\":\"good\"}", "model"},
                {"POST", "/v1/completions", "{\"model\":\"hostile-writer\",\"prompt\":\"a\\u0000\"}", "prompt"},
                {"POST", "/v1/fine_tuning/jobs", "{\"model\":\"hostile-sentiment\",\"training_file\":\"file-\\u0000\"}", "training_file"},
                {"POST", "/v1/batches", "{\"input_file_id\":\"file-\\u0000\",\"endpoint\":\"/v1/classifications\","
                        + "\"completion_window\":\"24h\"}", "input_file_id"},
                {"GET", "/v1/usage?start=-99999999999999", null, "start"},
                {"GET", "/v1/usage?end=99999999999999999", null, "end"},
        };
        for (String[] c : cases) {
            RawHttp.Answer a = raw(RawHttp.request(c[0], c[1], key, "application/json", c[2]));
            assertThat(a.status()).as(c[0] + " " + c[1] + " " + c[2] + ": " + a.body()).isEqualTo(400);
            assertThat(a.json().getJsonObject("error").getString("param")).as(c[1]).isEqualTo(c[3]);
        }
        String[][] admin = {
                {"/admin/v1/tenants/tn-%00", "id"},
                {"/admin/v1/tenants?after=%00", "after"},
                {"/admin/v1/tenants/" + tenant + "/keys/k%00", "keyId"},
                {"/admin/v1/tenants/" + tenant + "/usage?start=-99999999999999", "start"},
        };
        for (String[] c : admin) {
            RawHttp.Answer a = raw(RawHttp.request("GET", c[0], Gateways.ADMIN, null, null));
            assertThat(a.status()).as(c[0] + ": " + a.body()).isEqualTo(400);
            assertThat(a.json().getJsonObject("error").getString("param")).isEqualTo(c[1]);
        }
        String boundary = "nul";
        String upload = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\u0000.jsonl\"\r\n\r\n"
                + "{\"custom_id\":\"1\",\"body\":{}}\n\r\n--" + boundary + "--\r\n";
        RawHttp.Answer a = raw(RawHttp.request("POST", "/v1/files", key, "multipart/form-data; boundary=" + boundary, upload));
        assertThat(a.status()).as(a.body()).isEqualTo(400);
        assertThat(a.json().getJsonObject("error").getString("param")).isEqualTo("file");
        assertThat(storedFiles(tenant)).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(uploadArea()).isEmpty());
    }

    @Test
    void decoderRefusalsAnswerInTheJsonErrorShape() throws Exception {
        RawHttp.Answer longLine = raw("GET /v1/models?q=" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(longLine.status()).isEqualTo(414);
        assertThat(longLine.json().getJsonObject("error").getString("code")).isEqualTo("uri_too_long");
        RawHttp.Answer bigHeaders = raw("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n");
        assertThat(bigHeaders.status()).isEqualTo(431);
        assertThat(bigHeaders.json().getJsonObject("error").getString("code")).isEqualTo("headers_too_large");
    }

    @Test
    void aClientThatLeavesMidRequestIsNotAnError() throws Exception {
        ch.qos.logback.classic.Logger errors = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                io.lmaas.gateway.http.ErrorHandler.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        errors.addAppender(seen);
        try {
            String key = gateways.key(gateways.tenant("hostile-leaver"));
            try (RawHttp http = new RawHttp(port)) { // half a body, then gone
                http.send("POST /v1/classifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                        + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":");
                Thread.sleep(200);
            }
            worker.delay(Duration.ofMillis(500));
            try (RawHttp http = new RawHttp(port)) { // a whole request, gone before its answer
                http.send(RawHttp.request("POST", "/v1/classifications", key, "application/json",
                        "{\"model\":\"hostile-sentiment\",\"input\":\"good\"}"));
                Thread.sleep(100);
            }
            Thread.sleep(1_000);
        } finally {
            worker.delay(Duration.ZERO);
            errors.detachAppender(seen);
        }
        synchronized (seen) {
            assertThat(seen.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR));
        }
    }

    @Test
    void refusedRequestsCarryTheRateLimitHeaders() throws Exception {
        String tenant = gateways.tenant("hostile-429");
        String key = gateways.key(tenant);
        gateways.limits(tenant, new JsonObject().put("rpm", 1));
        String body = new JsonObject().put("model", "hostile-sentiment").put("input", "good").encode();
        assertThat(gateways.call(0, HttpMethod.POST, "/v1/classifications", key, body).statusCode()).isEqualTo(200);
        HttpResponse<Buffer> refused = gateways.call(0, HttpMethod.POST, "/v1/classifications", key, body);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.getHeader("x-ratelimit-limit-requests")).isEqualTo("1");
        assertThat(refused.getHeader("x-ratelimit-remaining-requests")).isEqualTo("0");
        assertThat(refused.getHeader("x-ratelimit-reset-requests")).isNotBlank();
        assertThat(refused.getHeader("retry-after")).isNotBlank();
    }

    @Test
    void aBudgetIsSpentToWithinOneRequestsRealCost() throws Exception {
        String tenant = gateways.tenant("hostile-budget");
        String key = gateways.key(tenant);
        gateways.limits(tenant, new JsonObject().put("tokens_per_day", 50));
        // Three words: the stand-in worker counts 3 tokens; the gateway's bound before the answer is 12 bytes + 2.
        String body = new JsonObject().put("model", "hostile-sentiment").put("input", "good one two").encode();
        int answered = 0;
        HttpResponse<Buffer> last;
        while ((last = gateways.call(0, HttpMethod.POST, "/v1/classifications", key, body)).statusCode() == 200) {
            answered++;
            assertThat(answered).isLessThanOrEqualTo(16);
        }
        assertThat(answered).isEqualTo(16); // 48 of 50 tokens: the 17th would cost 3 with 2 left
        assertThat(last.statusCode()).isEqualTo(402);
        assertThat(last.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("quota_exceeded");
        long billed = gateways.pool.preparedQuery("SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS t FROM usage_ledger"
                + " WHERE tenant_id = $1").execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).iterator().next().getLong("t");
        assertThat(billed).isEqualTo(48);
    }

    @Test
    void fineTuningHonoursTheKeysModelScope() throws Exception {
        String tenant = gateways.tenant("hostile-ft-scope");
        String key = gateways.key(tenant, new JsonObject().put("scopes", new JsonObject().put("models",
                new JsonArray().add("hostile-sentiment")))).getString("key");
        HttpResponse<Buffer> r = gateways.call(0, HttpMethod.POST, "/v1/fine_tuning/jobs", key, new JsonObject()
                .put("model", "hostile-writer").put("training_file", "file-none").encode());
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(403);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("insufficient_scope");
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("model");
    }
}
