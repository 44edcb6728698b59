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
 * {@code /v1/batches} over real HTTP with a real PostgreSQL: a batch is a job the scheduler admits (created queued,
 * below serving and fine-tuning), shown in OpenAI's shape with its statuses read from the job; cancel ends a batch no
 * worker was admitted for at once (writing what a preempted attempt had committed to its output files) and asks a
 * running one's worker to stop; bad input is refused with a code. A batch worker answering lines is tested end to end in
 * local mode (deploy's {@code BatchJobsEndToEndTest}).
 */
class BatchesApiTest {
    private static Gateways gateways;
    private static StandInWorker worker;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("batch-sentiment", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
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

    private static Row job(String id) throws Exception {
        return gateways.pool.preparedQuery("SELECT * FROM jobs WHERE id = $1").execute(Tuple.of(id)).await(10, TimeUnit.SECONDS)
                .iterator().next();
    }

    private static void sql(String statement, Object... args) throws Exception {
        gateways.pool.preparedQuery(statement).execute(Tuple.wrap(args)).await(10, TimeUnit.SECONDS);
    }

    private static String lines(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(new JsonObject().put("custom_id", "r" + i).put("body", new JsonObject().put("model", "batch-sentiment")
                    .put("input", "good " + i)).encode()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void aBatchIsAQueuedJobShownInOpenAisShape(@TempDir Path tmp) throws Exception {
        String tenant = gateways.tenant("batch-acme");
        String key = gateways.key(tenant);
        String file = upload(key, "batch", Files.writeString(tmp.resolve("in.jsonl"), lines(3)));
        JsonObject created = create(key, file, "/v1/classifications");
        assertThat(created.getString("id")).startsWith("batch_");
        assertThat(created.getString("object")).isEqualTo("batch");
        assertThat(created.getString("status")).isEqualTo("validating");
        assertThat(created.getString("input_file_id")).isEqualTo(file);
        assertThat(created.getJsonObject("metadata").getString("run")).isEqualTo("nightly");
        assertThat(created.getJsonObject("request_counts").getInteger("total")).isZero();
        assertThat(created.getLong("expires_at") - created.getLong("created_at")).isEqualTo(24 * 3600);
        Row row = job(created.getString("id"));
        assertThat(row.getString("kind")).isEqualTo("batch");
        assertThat(row.getString("status")).isEqualTo("queued");
        assertThat(row.getInteger("priority")).isEqualTo(-100);
        assertThat(row.getJsonObject("spec").getString("key_id")).isNotNull();

        // The scheduler's reason shows while it waits; a worker's progress shows as in_progress with its pace.
        String id = created.getString("id");
        sql("UPDATE jobs SET reason = 'WaitingForCapacity: 1/1 local job slots busy' WHERE id = $1", id);
        assertThat(call(HttpMethod.GET, "/v1/batches/" + id, key, null).bodyAsJsonObject().getString("status_reason"))
                .contains("WaitingForCapacity");
        sql("UPDATE jobs SET status = 'running', admitted_flavor = 'cpu', admitted_at = now(), reason = NULL,"
                + " result = $2 WHERE id = $1", id, new JsonObject().put("in_progress_at", 1).put("lines_done", 2)
                .put("lines_per_second", 12.5).put("estimated_finish", 99).put("request_counts", new JsonObject().put("total", 3)
                        .put("completed", 1).put("failed", 1)));
        JsonObject running = call(HttpMethod.GET, "/v1/batches/" + id, key, null).bodyAsJsonObject();
        assertThat(running.getString("status")).isEqualTo("in_progress");
        assertThat(running.getDouble("lines_per_second")).isEqualTo(12.5);
        assertThat(running.getLong("estimated_finish")).isEqualTo(99);
        assertThat(running.getJsonObject("request_counts").getInteger("completed")).isEqualTo(1);

        // A running batch's cancel is asked of its worker: cancelling until the worker ends it.
        HttpResponse<Buffer> cancel = call(HttpMethod.POST, "/v1/batches/" + id + "/cancel", key, null);
        assertThat(cancel.statusCode()).isEqualTo(200);
        assertThat(cancel.bodyAsJsonObject().getString("status")).isEqualTo("cancelling");
        assertThat(job(id).getString("status")).isEqualTo("running");
        assertThat(call(HttpMethod.POST, "/v1/batches/" + id + "/cancel", key, null).bodyAsJsonObject().getString("status"))
                .isEqualTo("cancelling");
        sql("UPDATE jobs SET status = 'succeeded', finished_at = now() WHERE id = $1", id);
        assertThat(call(HttpMethod.GET, "/v1/batches/" + id, key, null).bodyAsJsonObject().getString("status")).isEqualTo("completed");

        // Another tenant sees none of it; the list is the tenant's, newest first.
        String otherKey = gateways.key(gateways.tenant("batch-other"));
        assertThat(call(HttpMethod.GET, "/v1/batches/" + id, otherKey, null).statusCode()).isEqualTo(404);
        assertThat(call(HttpMethod.POST, "/v1/batches/" + id + "/cancel", otherKey, null).statusCode()).isEqualTo(404);
        String second = create(key, file, "/v1/classifications").getString("id");
        JsonObject list = call(HttpMethod.GET, "/v1/batches?limit=10", key, null).bodyAsJsonObject();
        assertThat(list.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id"))).containsExactly(second, id);

        // LMaaS's own scheduling fields, as for fine-tuning jobs.
        HttpResponse<Buffer> placed = call(HttpMethod.POST, "/v1/batches", key, new JsonObject().put("input_file_id", file)
                .put("endpoint", "/v1/classifications").put("completion_window", "24h").put("priority", 5)
                .put("gpu", new JsonObject().put("count", 1).put("flavors", new io.vertx.core.json.JsonArray().add("a100"))));
        assertThat(placed.statusCode()).as(placed.bodyAsString()).isEqualTo(200);
        Row p = job(placed.bodyAsJsonObject().getString("id"));
        assertThat(p.getInteger("priority")).isEqualTo(5);
        assertThat(p.getInteger("gpus")).isEqualTo(1);
        assertThat(p.getArrayOfStrings("gpu_flavors")).containsExactly("a100");
    }

    @Test
    void cancellingABatchNoWorkerRunsEndsItAtOnceKeepingWhatAPreemptedAttemptCommitted(@TempDir Path tmp) throws Exception {
        String tenant = gateways.tenant("batch-cancel");
        String key = gateways.key(tenant);
        String file = upload(key, "batch", Files.writeString(tmp.resolve("in.jsonl"), lines(4)));

        // Never admitted: cancelled at once, with no output.
        String idle = create(key, file, "/v1/classifications").getString("id");
        JsonObject cancelled = call(HttpMethod.POST, "/v1/batches/" + idle + "/cancel", key, null).bodyAsJsonObject();
        assertThat(cancelled.getString("status")).isEqualTo("cancelled");
        assertThat(cancelled.getValue("cancelled_at")).isNotNull();
        assertThat(cancelled.getString("output_file_id")).isNull();
        HttpResponse<Buffer> again = call(HttpMethod.POST, "/v1/batches/" + idle + "/cancel", key, null);
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(again.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("cancelled");

        // Preempted after its first attempt committed two lines, queued again: the cancel writes those two.
        String id = create(key, file, "/v1/classifications").getString("id");
        io.lmaas.core.crypto.DataKey dataKey = new io.lmaas.core.crypto.TenantKeys(gateways.pool,
                io.lmaas.core.crypto.MasterKeys.processEphemeral()).of(tenant).await(10, TimeUnit.SECONDS);
        io.lmaas.gateway.batches.BatchOutputs outputs = new io.lmaas.gateway.batches.BatchOutputs(
                new io.lmaas.core.artifacts.ArtifactStore(gateways.artifacts));
        List<JsonObject> answered = List.of(answer("r0"), answer("r1"));
        outputs.chunkFiles(id).write(0, 0, answered, dataKey);
        io.lmaas.gateway.batches.BatchLedger.Committed c = new io.lmaas.gateway.batches.BatchLedger(gateways.pool,
                java.time.Clock.systemUTC()).commit(new io.lmaas.gateway.batches.BatchLedger.Batch(id, tenant, null, "batch-sentiment",
                        "/v1/classifications", 4), 0, "batch-test", 0, List.of(
                        new io.lmaas.gateway.batches.BatchLedger.Line("batch_req_r0", 2, 0, 200, null, 1),
                        new io.lmaas.gateway.batches.BatchLedger.Line("batch_req_r1", 2, 0, 200, null, 1)))
                .await(10, TimeUnit.SECONDS);
        assertThat(c.stale()).isFalse();
        sql("UPDATE jobs SET attempt = 1, result = result || '{\"in_progress_at\": 1}'::jsonb WHERE id = $1", id);
        JsonObject ended = call(HttpMethod.POST, "/v1/batches/" + id + "/cancel", key, null).bodyAsJsonObject();
        assertThat(ended.getString("status")).isEqualTo("cancelled");
        assertThat(ended.getJsonObject("request_counts").getInteger("completed")).isEqualTo(2);
        List<JsonObject> out = content(key, ended.getString("output_file_id"));
        assertThat(out).extracting(l -> l.getString("custom_id")).containsExactly("r0", "r1");
        assertThat(ledger(tenant, "/v1/classifications")).hasSize(2);
        assertThat(outputs.chunkFiles(id).file(0, 0)).doesNotExist();
    }

    private static JsonObject answer(String customId) {
        return new JsonObject().put("id", "batch_req_" + customId).put("custom_id", customId).put("response", new JsonObject()
                .put("status_code", 200).put("body", new JsonObject().put("data", "x"))).putNull("error");
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

    }
}
