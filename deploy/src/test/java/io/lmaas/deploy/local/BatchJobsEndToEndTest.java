package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.db.Pools;
import io.lmaas.worker.starter.SyntheticTopics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batches as scheduled jobs, end to end in local mode: the local scheduler admits each batch and runs it as a
 * {@code lmaas worker batch} process that loads the model itself; no gateway is on a line's path. Answers equal the
 * online ones; a batch worker killed with SIGKILL mid-run resumes with every line answered and metered exactly once; a
 * budget that runs out mid-batch fails the remaining lines with {@code quota_exceeded}; a cancel stops the worker and
 * keeps what was committed; a tenant's next batch runs in its idle worker. Mid-run is made certain, not raced: the workers of this platform hold after committing the
 * request whose custom_id is {@value #HOLD} (a JVM option of the test platform's worker processes).
 */
class BatchJobsEndToEndTest {
    private static final String HOLD = "hold-here";
    private static Platform platform;
    private static Vertx vertx;
    private static Pool pool;

    @BeforeAll
    static void start() throws Exception {
        Path dataDir = Platform.dataDir("e2e-batches");
        // With a standby batch worker, as lmaas up runs: a tenant's first batch goes to it when it is up.
        platform = Platform.start(dataDir, Optional.empty(), true, false, Optional.empty(),
                List.of("-Dlmaas.batch.holdAfterCustomId=" + HOLD), Optional.of("starter-classifier"));
        platform.platform.starters().await(10, TimeUnit.MINUTES);
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, platform.platform.databaseUrl(), 2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) {
            pool.close().await(10, TimeUnit.SECONDS);
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (platform != null) {
            platform.close();
        }
    }

    private static final Map<String, String> TENANT_OF_KEY = new java.util.concurrent.ConcurrentHashMap<>();

    private static String tenantKey(String name) throws Exception {
        String tenant = platform.createTenant(name);
        String key = platform.createKey(tenant);
        TENANT_OF_KEY.put(key, tenant);
        return key;
    }

    private static String classificationLines(List<SyntheticTopics.Example> inputs, int holdAt) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            lines.append(new JsonObject().put("custom_id", i == holdAt ? HOLD : "row-" + i).put("method", "POST")
                    .put("url", "/v1/classifications").put("body", new JsonObject().put("model", "starter-classifier")
                            .put("input", inputs.get(i).text())).encode()).append('\n');
        }
        return lines.toString();
    }

    private static String create(String key, String content, String endpoint) throws Exception {
        String file = platform.upload(key, "batch", "in.jsonl", content).getString("id");
        Platform.Response created = platform.send("POST", "/v1/batches", key, new JsonObject().put("input_file_id", file)
                .put("endpoint", endpoint).put("completion_window", "24h"));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().getString("id");
    }

    private static JsonObject batch(String key, String id) throws Exception {
        return platform.send("GET", "/v1/batches/" + id, key, null).json();
    }

    private static JsonObject awaitEnd(String key, String id) {
        JsonObject[] last = new JsonObject[1];
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
            last[0] = batch(key, id);
            return List.of("completed", "failed", "cancelled").contains(last[0].getString("status"));
        });
        return last[0];
    }

    private static List<JsonObject> content(String key, String fileId) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        if (fileId == null) {
            return out;
        }
        for (String line : platform.send("GET", "/v1/files/" + fileId + "/content", key, null).body().split("\n")) {
            if (!line.isBlank()) {
                out.add(new JsonObject(line));
            }
        }
        return out;
    }

    /** The ledger rows of a tenant's batch lines (a tenant of its own per test, so all its batch_req_ rows are one batch's). */
    private static List<Row> ledger(String key) throws Exception {
        String tenant = TENANT_OF_KEY.get(key);
        List<Row> rows = new ArrayList<>();
        pool.preparedQuery("SELECT * FROM usage_ledger WHERE tenant_id = $1 AND request_id LIKE 'batch_req_%'")
                .execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).forEach(rows::add);
        return rows;
    }

    private static Map<String, JsonObject> byCustomId(List<JsonObject> lines) {
        Map<String, JsonObject> out = new HashMap<>();
        for (JsonObject l : lines) {
            assertThat(out.put(l.getString("custom_id"), l)).as("custom_id %s once", l.getString("custom_id")).isNull();
        }
        return out;
    }

    @Test
    void aClassificationBatchRunsInABatchWorkerAndAnswersAsOnline() throws Exception {
        String key = tenantKey("batch-classify");
        List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(2000, 777);
        String id = create(key, classificationLines(inputs, -1), "/v1/classifications");
        JsonObject done = awaitEnd(key, id);
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        assertThat(done.getJsonObject("request_counts").getInteger("completed")).isEqualTo(2000);
        assertThat(done.getJsonObject("request_counts").getInteger("failed")).isZero();
        assertThat(done.getString("error_file_id")).isNull();
        assertThat(done.getValue("in_progress_at")).isNotNull();
        assertThat(done.getValue("finalizing_at")).isNotNull();

        // Every answer is the online one: labels equal, scores within 1e-4 (online in requests of 250 inputs).
        Map<String, JsonObject> answers = byCustomId(content(key, done.getString("output_file_id")));
        assertThat(answers).hasSize(2000);
        for (int from = 0; from < inputs.size(); from += 250) {
            JsonArray texts = new JsonArray();
            inputs.subList(from, from + 250).forEach(e -> texts.add(e.text()));
            JsonArray online = platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", "starter-classifier")
                    .put("input", texts)).json().getJsonArray("data");
            for (int i = 0; i < 250; i++) {
                JsonObject got = answers.get("row-" + (from + i)).getJsonObject("response").getJsonObject("body").getJsonArray("data")
                        .getJsonObject(0);
                assertThat(got.getString("label")).as("row %d", from + i).isEqualTo(online.getJsonObject(i).getString("label"));
                assertThat(got.getDouble("score")).as("row %d", from + i)
                        .isCloseTo(online.getJsonObject(i).getDouble("score"), Offset.offset(1e-4));
            }
        }
        // Metered like online calls, by the batch worker (not a gateway): one row per line, with its tokens.
        List<Row> rows = ledger(key);
        assertThat(rows).hasSize(2000);
        assertThat(rows).allMatch(r -> r.getInteger("status") == 200 && r.getInteger("prompt_tokens") > 0
                && r.getString("gateway_id").startsWith("batch-") && "/v1/classifications".equals(r.getString("endpoint")));
        long tokens = answers.values().stream().mapToLong(a -> a.getJsonObject("response").getJsonObject("body")
                .getJsonObject("usage").getLong("prompt_tokens")).sum();
        assertThat(rows.stream().mapToLong(r -> r.getInteger("prompt_tokens")).sum()).isEqualTo(tokens);
        // The attempt's worker-seconds are metered apart, and the job's events tell its story.
        Row compute = pool.preparedQuery("SELECT * FROM usage_ledger WHERE request_id = $1").execute(Tuple.of("job-" + id + "-0"))
                .await(10, TimeUnit.SECONDS).iterator().next();
        assertThat(compute.getString("endpoint")).isEqualTo("/v1/batches");
        assertThat(compute.getBigDecimal("compute_seconds").doubleValue()).isPositive();
        JsonArray events = platform.send("GET", "/admin/v1/jobs/" + id + "/events", platform.adminToken(), null).json()
                .getJsonArray("data");
        assertThat(events.stream().map(e -> ((JsonObject) e).getJsonObject("data").getString("event")).toList())
                .contains("queued", "admitted", "running", "succeeded");
    }

    @Test
    void aGenerationBatchAnswersAsOnlineGreedyTextEqual() throws Exception {
        String key = tenantKey("batch-generate");
        String[] starts = {"the striker", "the storm", "the market", "the election", "a goal", "heavy rain", "stocks", "the vote"};
        List<String> prompts = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            String prompt = starts[i % starts.length] + " " + (i / starts.length);
            prompts.add(prompt);
            lines.append(new JsonObject().put("custom_id", "g" + i).put("body", new JsonObject().put("model", "starter-generator")
                    .put("prompt", prompt).put("max_tokens", 8).put("temperature", 0)).encode()).append('\n');
        }
        JsonObject done = awaitEnd(key, create(key, lines.toString(), "/v1/completions"));
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        Map<String, JsonObject> answers = byCustomId(content(key, done.getString("output_file_id")));
        assertThat(answers).hasSize(200);
        for (int i = 0; i < 200; i++) {
            JsonObject online = platform.send("POST", "/v1/completions", key, new JsonObject().put("model", "starter-generator")
                    .put("prompt", prompts.get(i)).put("max_tokens", 8).put("temperature", 0)).json();
            JsonObject got = answers.get("g" + i).getJsonObject("response").getJsonObject("body");
            assertThat(got.getString("object")).isEqualTo("text_completion");
            assertThat(got.getJsonArray("choices").getJsonObject(0).getString("text")).as("line %d", i)
                    .isEqualTo(online.getJsonArray("choices").getJsonObject(0).getString("text"));
            assertThat(got.getJsonObject("usage")).isEqualTo(online.getJsonObject("usage"));
        }
        assertThat(ledger(key)).hasSize(200);
    }

    @Test
    void aBatchWorkerKilledMidRunResumesWithEveryLineAnsweredAndMeteredOnce() throws Exception {
        String key = tenantKey("batch-killed");
        List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(2000, 778);
        String id = create(key, classificationLines(inputs, 700), "/v1/classifications");
        // The worker holds once the chunk holding request 700 is committed: mid-run, for certain.
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonObject counts = batch(key, id).getJsonObject("request_counts");
            return counts.getInteger("completed") + counts.getInteger("failed") > 700;
        });
        Long pid = platform.platform.jobs().pid(id);
        assertThat(pid).isNotNull();
        int before = batch(key, id).getJsonObject("request_counts").getInteger("completed");
        assertThat(before).isBetween(701, 1999);
        ProcessHandle worker = ProcessHandle.of(pid).orElseThrow();
        worker.destroyForcibly(); // SIGKILL: no shutdown hook, no last commit
        worker.onExit().get(30, TimeUnit.SECONDS);

        JsonObject done = awaitEnd(key, id);
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        await().atMost(Duration.ofSeconds(15)).until(() -> platform.platform.jobs().pid(id) == null);
        Map<String, JsonObject> answers = byCustomId(content(key, done.getString("output_file_id")));
        assertThat(answers).hasSize(2000);
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            expected.add(i == 700 ? HOLD : "row-" + i);
        }
        assertThat(answers.keySet()).isEqualTo(expected);
        List<Row> rows = ledger(key);
        assertThat(rows).hasSize(2000);
        Set<String> requestIds = new HashSet<>();
        rows.forEach(r -> requestIds.add(r.getString("request_id")));
        Set<String> answered = new HashSet<>();
        answers.values().forEach(a -> answered.add(a.getString("id")));
        assertThat(requestIds).isEqualTo(answered); // each output line is the line a ledger row bills, and only it
    }

    @Test
    void aBudgetThatRunsOutMidBatchFailsTheRemainingLinesWithQuotaExceeded() throws Exception {
        String key = tenantKey("batch-budget");
        String tenant = TENANT_OF_KEY.get(key);
        List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(400, 779);
        Platform.Response limits = platform.send("PUT", "/admin/v1/tenants/" + tenant + "/limits", platform.adminToken(),
                new JsonObject().put("tokens_per_day", 1000));
        assertThat(limits.status()).as(limits.body()).isEqualTo(200);
        JsonObject done = awaitEnd(key, create(key, classificationLines(inputs, -1), "/v1/classifications"));
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        int completed = done.getJsonObject("request_counts").getInteger("completed");
        int failed = done.getJsonObject("request_counts").getInteger("failed");
        assertThat(completed).isBetween(1, 399);
        assertThat(completed + failed).isEqualTo(400);
        // The answered lines are the first ones, within the budget; every later line failed with quota_exceeded.
        Map<String, JsonObject> answers = byCustomId(content(key, done.getString("output_file_id")));
        Map<String, JsonObject> errors = byCustomId(content(key, done.getString("error_file_id")));
        long spent = 0;
        for (int i = 0; i < completed; i++) {
            spent += answers.get("row-" + i).getJsonObject("response").getJsonObject("body").getJsonObject("usage").getLong("prompt_tokens");
        }
        assertThat(spent).isLessThanOrEqualTo(1000);
        for (int i = completed; i < 400; i++) {
            JsonObject e = errors.get("row-" + i);
            assertThat(e).as("row %d", i).isNotNull();
            assertThat(e.getJsonObject("error").getString("code")).isEqualTo("quota_exceeded");
            assertThat(e.getJsonObject("response").getInteger("status_code")).isEqualTo(402);
        }
        List<Row> rows = ledger(key);
        assertThat(rows).hasSize(400);
        assertThat(rows.stream().filter(r -> r.getInteger("status") == 402 && "quota_exceeded".equals(r.getString("error_code"))))
                .hasSize(failed);
        assertThat(rows.stream().mapToLong(r -> r.getInteger("prompt_tokens")).sum()).isEqualTo(spent);
        // The budget is spent for online calls too.
        Platform.Response online = platform.send("POST", "/v1/classifications", key, new JsonObject()
                .put("model", "starter-classifier").put("input", inputs.get(0).text() + " " + inputs.get(1).text()));
        assertThat(online.status()).as(online.body()).isEqualTo(402);
    }

    @Test
    void cancelStopsTheWorkerWithinSecondsAndKeepsWhatWasCommitted() throws Exception {
        String key = tenantKey("batch-cancel");
        List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(2000, 780);
        String id = create(key, classificationLines(inputs, 300), "/v1/classifications");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() ->
                batch(key, id).getJsonObject("request_counts").getInteger("completed") > 300);
        Long pid = platform.platform.jobs().pid(id);
        assertThat(pid).isNotNull();
        Platform.Response cancel = platform.send("POST", "/v1/batches/" + id + "/cancel", key, null);
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(200);
        assertThat(cancel.json().getString("status")).isEqualTo("cancelling");
        long asked = System.nanoTime();
        JsonObject done = awaitEnd(key, id);
        double seconds = (System.nanoTime() - asked) / 1e9;
        assertThat(done.getString("status")).isEqualTo("cancelled");
        assertThat(seconds).as("cancelled within seconds").isLessThan(15);
        int completed = done.getJsonObject("request_counts").getInteger("completed");
        assertThat(completed).isBetween(301, 1999);
        assertThat(content(key, done.getString("output_file_id"))).hasSize(completed);
        assertThat(ledger(key)).hasSize(completed);
        await().atMost(Duration.ofSeconds(15)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    /** The pid of the batch worker process that ran the job (from the job's "running" event). */
    private static long workerOf(String jobId) throws Exception {
        List<String> messages = new ArrayList<>();
        pool.preparedQuery("SELECT message FROM job_events WHERE job_id = $1 AND type = 'running'").execute(Tuple.of(jobId))
                .await(10, TimeUnit.SECONDS).forEach(r -> messages.add(r.getString("message")));
        assertThat(messages).hasSize(1);
        return Long.parseLong(messages.get(0).replace("running in batch worker process ", ""));
    }

    @Test
    void aTenantsNextBatchRunsInItsIdleWorkerAndAnotherTenantsInANewOne() throws Exception {
        String key = tenantKey("batch-warm");
        String tenant = TENANT_OF_KEY.get(key);
        String content = classificationLines(SyntheticTopics.examples(300, 781), -1);
        String firstId = create(key, content, "/v1/classifications");
        JsonObject first = awaitEnd(key, firstId);
        assertThat(first.getString("status")).as(first.encode()).isEqualTo("completed");
        long worker = workerOf(firstId);
        await().atMost(Duration.ofSeconds(5)).until(() -> Long.valueOf(worker).equals(platform.platform.jobs().idlePid(tenant)));

        // The tenant's next batch is handed to that worker: no new process; its answers are the first batch's.
        String secondId = create(key, content, "/v1/classifications");
        JsonObject second = awaitEnd(key, secondId);
        assertThat(second.getString("status")).as(second.encode()).isEqualTo("completed");
        assertThat(workerOf(secondId)).isEqualTo(worker);
        Map<String, JsonObject> a = byCustomId(content(key, first.getString("output_file_id")));
        Map<String, JsonObject> b = byCustomId(content(key, second.getString("output_file_id")));
        assertThat(b.keySet()).isEqualTo(a.keySet()).hasSize(300);
        for (String id : a.keySet()) {
            JsonObject x = a.get(id).getJsonObject("response").getJsonObject("body").getJsonArray("data").getJsonObject(0);
            JsonObject y = b.get(id).getJsonObject("response").getJsonObject("body").getJsonArray("data").getJsonObject(0);
            assertThat(y.getString("label")).as(id).isEqualTo(x.getString("label"));
            assertThat(y.getDouble("score")).as(id).isCloseTo(x.getDouble("score"), Offset.offset(1e-4));
        }
        assertThat(ledger(key)).hasSize(600);

        // Another tenant's batch gets a worker of its own: a worker holds one tenant's data key only.
        String other = tenantKey("batch-warm-other");
        String thirdId = create(other, content, "/v1/classifications");
        assertThat(awaitEnd(other, thirdId).getString("status")).isEqualTo("completed");
        assertThat(workerOf(thirdId)).isNotEqualTo(worker);

        // An idle worker ends once it has waited its linger out.
        await().atMost(Platform.BATCH_WORKER_LINGER.plusSeconds(20)).until(() ->
                ProcessHandle.of(worker).map(p -> !p.isAlive()).orElse(true));
        assertThat(platform.platform.jobs().idlePid(tenant)).isNull();
    }

    @Test
    void aNewTenantsFirstBatchRunsInTheWarmedUpStandbyAndANewStandbyStartsAfter() throws Exception {
        // The standby warms up on the starter classifier (a platform model: no tenant's key), then stands by.
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> standbyPid() != null
                && standbyLog(standbyPid()).contains("standing by for a batch"));
        long standby = standbyPid();
        assertThat(standbyLog(standby)).contains("warmed up on starter-classifier (2000 lines)");

        String key = tenantKey("batch-standby");
        String tenant = TENANT_OF_KEY.get(key);
        String id = create(key, classificationLines(SyntheticTopics.examples(200, 783), -1), "/v1/classifications");
        JsonObject done = awaitEnd(key, id);
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        assertThat(done.getJsonObject("request_counts").getInteger("completed")).isEqualTo(200);
        assertThat(workerOf(id)).isEqualTo(standby);
        assertThat(ledger(key)).hasSize(200);
        // It is that tenant's worker now (idle, for its next batch), and another standby takes its place.
        await().atMost(Duration.ofSeconds(5)).until(() -> Long.valueOf(standby).equals(platform.platform.jobs().idlePid(tenant)));
        await().atMost(Duration.ofSeconds(10)).until(() -> standbyPid() != null && standbyPid() != standby);
    }

    private static Long standbyPid() {
        return platform.platform.jobs().standbyPid();
    }

    /** The log of the standby batch worker {@code pid} (its own lines, where it says what it did), or "". */
    private static String standbyLog(long pid) throws Exception {
        try (var files = Files.list(platform.dataDir.resolve("logs"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("batch-standby-")).toList()) {
                String log = Files.readString(f);
                if (log.contains("batch worker " + pid + ":")) {
                    return log;
                }
            }
        }
        return "";
    }

    @Test
    void aBatchWhoseInputDoesNotFitFailsWithACode() throws Exception {
        String key = tenantKey("batch-bad-input");
        String mixed = new JsonObject().put("custom_id", "a").put("body", new JsonObject().put("model", "starter-classifier")
                .put("input", "x")).encode() + "\n" + new JsonObject().put("custom_id", "b").put("body", new JsonObject()
                .put("model", "starter-generator").put("input", "y")).encode() + "\n";
        JsonObject failed = awaitEnd(key, create(key, mixed, "/v1/classifications"));
        assertThat(failed.getString("status")).isEqualTo("failed");
        JsonObject error = failed.getJsonObject("errors").getJsonArray("data").getJsonObject(0);
        assertThat(error.getString("code")).isEqualTo("invalid_input_file");
        assertThat(error.getString("message")).contains("line 2").contains("one model");

        String wrongTask = new JsonObject().put("custom_id", "a").put("body", new JsonObject().put("model", "starter-generator")
                .put("input", "x")).encode() + "\n";
        JsonObject refused = awaitEnd(key, create(key, wrongTask, "/v1/classifications"));
        assertThat(refused.getString("status")).isEqualTo("failed");
        assertThat(refused.getJsonObject("errors").getJsonArray("data").getJsonObject(0).getString("code"))
                .isEqualTo("unsupported_model_task");
        assertThat(ledger(key)).isEmpty();
    }
}
