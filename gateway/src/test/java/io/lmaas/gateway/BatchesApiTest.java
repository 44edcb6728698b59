package io.lmaas.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/batches} over real HTTP with a real PostgreSQL: a batch runs through the online inference
 * path (a stand-in worker answers), failed lines go to the error file, every request is metered, cancel
 * stops a running batch keeping what it answered, and bad input is refused with a code.
 */
class BatchesApiTest {
    private static Gateways gateways;
    private static StandInWorker worker;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("batch-sentiment", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
        gateways.model("batch-writer", ModelTask.TEXT_GENERATION, null, worker.url());
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    private static HttpResponse<Buffer> call(HttpMethod method, String path, String key, Object body) throws Exception {
        return gateways.call(0, method, path, key, body == null ? null : body.toString());
    }

    private static String upload(String key, String purpose, Path file) throws Exception {
        MultipartForm form = MultipartForm.create().textFileUpload("file", file.getFileName().toString(), file.toString(),
                "application/jsonl").attribute("purpose", purpose);
        HttpResponse<Buffer> r = gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/files").bearerTokenAuthentication(key)
                .sendMultipartForm(form).await(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject().getString("id");
    }

    private static JsonObject create(String key, String fileId, String endpoint) throws Exception {
        HttpResponse<Buffer> r = call(HttpMethod.POST, "/v1/batches", key, new JsonObject().put("input_file_id", fileId)
                .put("endpoint", endpoint).put("completion_window", "24h").put("metadata", new JsonObject().put("run", "nightly")));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject();
    }

    private static JsonObject awaitEnd(String key, String id) {
        JsonObject[] last = new JsonObject[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = call(HttpMethod.GET, "/v1/batches/" + id, key, null).bodyAsJsonObject();
            return List.of("completed", "failed", "cancelled").contains(last[0].getString("status"));
        });
        return last[0];
    }

    private static List<JsonObject> content(String key, String fileId) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        for (String line : call(HttpMethod.GET, "/v1/files/" + fileId + "/content", key, null).bodyAsString().split("\n")) {
            if (!line.isBlank()) {
                out.add(new JsonObject(line));
            }
        }
        return out;
    }

    private static List<Row> ledger(String tenant, String endpoint) throws Exception {
        List<Row> rows = new ArrayList<>();
        gateways.pool.preparedQuery("SELECT * FROM usage_ledger WHERE tenant_id = $1 AND endpoint = $2").execute(Tuple.of(tenant, endpoint))
                .await(10, TimeUnit.SECONDS).forEach(rows::add);
        return rows;
    }

    @Test
    void classificationBatchAnswersLikeOnlineWithErrorsInTheErrorFile(@TempDir Path tmp) throws Exception {
        String tenant = gateways.tenant("batch-acme");
        String key = gateways.key(tenant);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            String input = i % 2 == 0 ? "a good day number " + i : "a dull day number " + i;
            lines.append(new JsonObject().put("custom_id", "req-" + i).put("method", "POST").put("url", "/v1/classifications")
                    .put("body", new JsonObject().put("model", "batch-sentiment").put("input", input)).encode()).append('\n');
        }
        lines.append(new JsonObject().put("custom_id", "bad-model").put("body", new JsonObject().put("model", "no-such-model")
                .put("input", "x")).encode()).append('\n');
        lines.append(new JsonObject().put("custom_id", "bad-input").put("body", new JsonObject().put("model", "batch-sentiment")
                .put("input", 42)).encode()).append('\n');
        String file = upload(key, "batch", Files.writeString(tmp.resolve("in.jsonl"), lines));

        JsonObject created = create(key, file, "/v1/classifications");
        assertThat(created.getString("id")).startsWith("batch_");
        assertThat(created.getString("object")).isEqualTo("batch");
        assertThat(created.getString("status")).isEqualTo("validating");
        assertThat(created.getJsonObject("metadata").getString("run")).isEqualTo("nightly");

        JsonObject done = awaitEnd(key, created.getString("id"));
        assertThat(done.getString("status")).as(done.encodePrettily()).isEqualTo("completed");
        assertThat(done.getJsonObject("request_counts")).isEqualTo(new JsonObject().put("total", 32).put("completed", 30).put("failed", 2));
        assertThat(done.getLong("completed_at")).isNotNull();
        assertThat(done.getLong("in_progress_at")).isNotNull();

        List<JsonObject> out = content(key, done.getString("output_file_id"));
        assertThat(out).hasSize(30);
        // Input, output and error files are all sealed with the tenant's key on disk: no custom id in the clear.
        try (var stored = Files.list(gateways.artifacts.resolve("files").resolve(tenant))) {
            List<Path> all = stored.toList();
            assertThat(all).hasSize(3);
            for (Path f : all) {
                assertThat(io.lmaas.core.crypto.Artifacts.sealed(f)).as(f.toString()).isTrue();
                assertThat(Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("req-1", "bad-model");
            }
        }
        Map<String, JsonObject> byId = new HashMap<>();
        out.forEach(o -> byId.put(o.getString("custom_id"), o));
        for (int i = 0; i < 30; i++) {
            JsonObject response = byId.get("req-" + i).getJsonObject("response");
            assertThat(response.getInteger("status_code")).isEqualTo(200);
            JsonObject online = call(HttpMethod.POST, "/v1/classifications", key, new JsonObject().put("model", "batch-sentiment")
                    .put("input", i % 2 == 0 ? "a good day number " + i : "a dull day number " + i)).bodyAsJsonObject();
            JsonObject b = response.getJsonObject("body");
            assertThat(b.getJsonArray("data")).isEqualTo(online.getJsonArray("data"));
            assertThat(b.getJsonObject("usage")).isEqualTo(online.getJsonObject("usage"));
            assertThat(b.getString("model")).isEqualTo("batch-sentiment");
        }
        List<JsonObject> errors = content(key, done.getString("error_file_id"));
        Map<String, JsonObject> errorsById = new HashMap<>();
        errors.forEach(o -> errorsById.put(o.getString("custom_id"), o));
        assertThat(errorsById.keySet()).containsExactlyInAnyOrder("bad-model", "bad-input");
        assertThat(errorsById.get("bad-model").getJsonObject("response").getInteger("status_code")).isEqualTo(404);
        assertThat(errorsById.get("bad-model").getJsonObject("error").getString("code")).isEqualTo("model_not_found");
        assertThat(errorsById.get("bad-input").getJsonObject("response").getInteger("status_code")).isEqualTo(400);

        // Output files are the tenant's own, listed under purpose batch_output.
        assertThat(call(HttpMethod.GET, "/v1/files?purpose=batch_output", key, null).bodyAsJsonObject().getJsonArray("data")).hasSize(2);
        String otherKey = gateways.key(gateways.tenant("batch-other"));
        assertThat(call(HttpMethod.GET, "/v1/files/" + done.getString("output_file_id") + "/content", otherKey, null).statusCode())
                .isEqualTo(404);
        assertThat(call(HttpMethod.GET, "/v1/batches/" + created.getString("id"), otherKey, null).statusCode()).isEqualTo(404);

        // Each batch request is metered like an online one: 32 batch rows (30 ok, 2 failed) besides the 30 online calls.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ledger(tenant, "/v1/classifications").size() == 62);
        List<Row> batchRows = ledger(tenant, "/v1/classifications").stream()
                .filter(r -> r.getString("request_id").startsWith("batch_req_")).toList();
        assertThat(batchRows).hasSize(32);
        assertThat(batchRows.stream().filter(r -> r.getInteger("status") == 200).mapToInt(r -> r.getInteger("prompt_tokens")).sum())
                .isEqualTo(out.stream().mapToInt(o -> o.getJsonObject("response").getJsonObject("body").getJsonObject("usage")
                        .getInteger("prompt_tokens")).sum());

        JsonObject list = call(HttpMethod.GET, "/v1/batches?limit=10", key, null).bodyAsJsonObject();
        assertThat(list.getJsonArray("data")).hasSize(1);
        assertThat(list.getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo(created.getString("id"));
    }

    @Test
    void completionBatchAndCancelKeepsWhatWasAnswered(@TempDir Path tmp) throws Exception {
        String tenant = gateways.tenant("batch-writer-co");
        String key = gateways.key(tenant);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            lines.append(new JsonObject().put("custom_id", "c" + i).put("body", new JsonObject().put("model", "batch-writer")
                    .put("prompt", "once upon " + i).put("max_tokens", 3)).encode()).append('\n');
        }
        JsonObject done = awaitEnd(key, create(key, upload(key, "batch", Files.writeString(tmp.resolve("c.jsonl"), lines)),
                "/v1/completions").getString("id"));
        assertThat(done.getString("status")).isEqualTo("completed");
        List<JsonObject> out = content(key, done.getString("output_file_id"));
        assertThat(out).hasSize(4);
        JsonObject body = out.get(0).getJsonObject("response").getJsonObject("body");
        assertThat(body.getString("object")).isEqualTo("text_completion");
        assertThat(body.getJsonArray("choices").getJsonObject(0).getString("text")).isEqualTo(" tok tok tok");
        assertThat(body.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(3);
        assertThat(done.getString("error_file_id")).isNull();

        // A slow batch: cancel it while it runs; it ends cancelled with the answers it had.
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            many.append(new JsonObject().put("custom_id", "s" + i).put("body", new JsonObject().put("model", "batch-sentiment")
                    .put("input", "good " + i)).encode()).append('\n');
        }
        worker.delay(Duration.ofMillis(100));
        try {
            String id = create(key, upload(key, "batch", Files.writeString(tmp.resolve("s.jsonl"), many)), "/v1/classifications")
                    .getString("id");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> call(HttpMethod.GET, "/v1/batches/" + id, key, null)
                    .bodyAsJsonObject().getJsonObject("request_counts").getInteger("completed") > 0);
            HttpResponse<Buffer> cancel = call(HttpMethod.POST, "/v1/batches/" + id + "/cancel", key, null);
            assertThat(cancel.statusCode()).isEqualTo(200);
            assertThat(cancel.bodyAsJsonObject().getString("status")).isEqualTo("cancelling");
            JsonObject cancelled = awaitEnd(key, id);
            assertThat(cancelled.getString("status")).isEqualTo("cancelled");
            int answered = cancelled.getJsonObject("request_counts").getInteger("completed");
            assertThat(answered).isBetween(1, 399);
            assertThat(content(key, cancelled.getString("output_file_id"))).hasSize(answered);
            HttpResponse<Buffer> again = call(HttpMethod.POST, "/v1/batches/" + id + "/cancel", key, null);
            assertThat(again.statusCode()).isEqualTo(400);
            assertThat(again.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("cancelled");
        } finally {
            worker.delay(Duration.ZERO);
        }
    }

    @Test
    void badRequestsAreRefusedWithCodes(@TempDir Path tmp) throws Exception {
        String key = gateways.key(gateways.tenant("batch-bad"));
        String batchFile = upload(key, "batch", Files.writeString(tmp.resolve("b.jsonl"),
                "{\"custom_id\":\"1\",\"url\":\"/v1/completions\",\"body\":{\"model\":\"batch-sentiment\",\"input\":\"x\"}}\n"));
        String tuneFile = upload(key, "fine-tune", Files.writeString(tmp.resolve("t.jsonl"),
                "{\"text\":\"a\",\"label\":\"b\"}\n{\"text\":\"c\",\"label\":\"d\"}\n"));

        record Case(JsonObject body, int status, String code, String param) {
        }
        JsonObject ok = new JsonObject().put("input_file_id", batchFile).put("endpoint", "/v1/classifications")
                .put("completion_window", "24h");
        List<Case> cases = List.of(
                new Case(ok.copy().put("endpoint", "/v1/images/generations"), 400, "invalid_value", "endpoint"),
                new Case(ok.copy().put("completion_window", "1h"), 400, "invalid_value", "completion_window"),
                new Case(ok.copy().put("metadata", new JsonObject().put("a", 1)), 400, "invalid_value", "metadata.a"),
                new Case(ok.copy().put("input_file_id", "file-nope"), 400, "invalid_file", "input_file_id"),
                new Case(ok.copy().put("input_file_id", tuneFile), 400, "invalid_file", "input_file_id"),
                new Case(ok.copy().putNull("input_file_id"), 400, "missing_required_parameter", "input_file_id"));
        for (Case c : cases) {
            HttpResponse<Buffer> r = call(HttpMethod.POST, "/v1/batches", key, c.body());
            assertThat(r.statusCode()).as(c.body().encode() + " -> " + r.bodyAsString()).isEqualTo(c.status());
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("code")).as(r.bodyAsString()).isEqualTo(c.code());
            assertThat(error.getString("param")).isEqualTo(c.param());
        }
        assertThat(call(HttpMethod.POST, "/v1/batches", key, "{not json").statusCode()).isEqualTo(400);
        assertThat(call(HttpMethod.GET, "/v1/batches/batch_nope", key, null).bodyAsJsonObject().getJsonObject("error")
                .getString("code")).isEqualTo("batch_not_found");

        // A line whose url is not the batch's endpoint fails the whole batch before any request is sent.
        JsonObject failed = awaitEnd(key, create(key, batchFile, "/v1/classifications").getString("id"));
        assertThat(failed.getString("status")).isEqualTo("failed");
        JsonObject error = failed.getJsonObject("errors").getJsonArray("data").getJsonObject(0);
        assertThat(error.getString("code")).isEqualTo("invalid_input_file");
        assertThat(error.getString("message")).contains("line 1").contains("/v1/completions");
    }
}
