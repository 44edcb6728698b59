package io.lmaas.deploy.local;

import static io.lmaas.core.testing.Bytes.indexOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.worker.starter.SyntheticTopics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole platform in local mode, as {@code ./lmaas up} runs it: embedded PostgreSQL, the gateway, the
 * scheduler's local backend with real worker processes, starter models trained on first start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalPlatformEndToEndTest {
    private static Platform platform;
    private static String tenantId;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        Path dataDir = Platform.dataDir("e2e");
        platform = Platform.start(dataDir);
        platform.platform.starters().await(10, TimeUnit.MINUTES);
        tenantId = platform.createTenant("e2e-tenant");
        key = platform.createKey(tenantId);
        awaitServing(key);
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    /** Waits until both starter models answer through the gateway. */
    private static void awaitServing(String key) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() ->
                platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", "starter-classifier")
                        .put("input", "x")).status() == 200
                && platform.send("POST", "/v1/completions", key, new JsonObject().put("model", "starter-generator")
                        .put("prompt", "x").put("max_tokens", 1)).status() == 200);
    }

    @Test
    @Order(1)
    void tenantClassifiesAndCompletesAndSeesItsUsage() throws Exception {
        assertThat(Files.getPosixFilePermissions(platform.platform.adminTokenFile()))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String tenant = platform.createTenant("walkthrough");
        String k = platform.createKey(tenant);
        int requests = 0;
        long promptTokens = 0;
        long completionTokens = 0;

        Platform.Response models = platform.send("GET", "/v1/models", k, null);
        requests++;
        assertThat(models.json().getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")))
                .containsExactlyInAnyOrder("starter-classifier", "starter-generator");

        // Held-out sentences: drawn with another seed, none of them in the training set.
        Set<String> training = new HashSet<>();
        SyntheticTopics.examples(4000, 42).forEach(e -> training.add(e.text()));
        List<SyntheticTopics.Example> heldOut = SyntheticTopics.examples(600, 2024).stream()
                .filter(e -> !training.contains(e.text())).toList();
        assertThat(heldOut.size()).isGreaterThan(300);
        int correct = 0;
        for (int from = 0; from < heldOut.size(); from += 50) {
            List<SyntheticTopics.Example> batch = heldOut.subList(from, Math.min(heldOut.size(), from + 50));
            Platform.Response r = platform.send("POST", "/v1/classifications", k, new JsonObject()
                    .put("model", "starter-classifier")
                    .put("input", new JsonArray(batch.stream().map(SyntheticTopics.Example::text).map(Object.class::cast).toList())));
            requests++;
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonArray data = r.json().getJsonArray("data");
            for (int i = 0; i < batch.size(); i++) {
                JsonObject item = data.getJsonObject(i);
                assertThat(item.getInteger("index")).isEqualTo(i);
                assertThat(item.getJsonObject("scores").fieldNames()).containsExactlyInAnyOrderElementsOf(SyntheticTopics.LABELS);
                if (item.getString("label").equals(batch.get(i).label())) {
                    correct++;
                }
            }
            promptTokens += r.json().getJsonObject("usage").getInteger("prompt_tokens");
        }
        double accuracy = (double) correct / heldOut.size();
        assertThat(accuracy).as("held-out accuracy").isGreaterThanOrEqualTo(0.9);

        JsonObject sportsRequest = new JsonObject().put("model", "starter-generator").put("prompt", "the striker")
                .put("max_tokens", 16).put("temperature", 0);
        Platform.Response sports = platform.send("POST", "/v1/completions", k, sportsRequest);
        Platform.Response weather = platform.send("POST", "/v1/completions", k, sportsRequest.copy().put("prompt", "the storm"));
        requests += 2;
        for (Platform.Response r : List.of(sports, weather)) {
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonObject c = r.json();
            assertThat(c.getString("object")).isEqualTo("text_completion");
            assertThat(c.getString("id")).startsWith("cmpl-");
            assertThat(c.getString("model")).isEqualTo("starter-generator");
            assertThat(c.getLong("created")).isPositive();
            assertThat(c.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isIn("stop", "length");
            promptTokens += c.getJsonObject("usage").getInteger("prompt_tokens");
            completionTokens += c.getJsonObject("usage").getInteger("completion_tokens");
        }
        String sportsText = sports.json().getJsonArray("choices").getJsonObject(0).getString("text");
        String weatherText = weather.json().getJsonArray("choices").getJsonObject(0).getString("text");
        assertThat(sportsText).isNotBlank();
        assertThat(weatherText).isNotBlank().isNotEqualTo(sportsText);

        JsonObject seeded = new JsonObject().put("model", "starter-generator").put("prompt", "investors")
                .put("max_tokens", 12).put("temperature", 0.9).put("seed", 7);
        Platform.Response first = platform.send("POST", "/v1/completions", k, seeded);
        Platform.Response second = platform.send("POST", "/v1/completions", k, seeded);
        requests += 2;
        assertThat(first.json().getJsonArray("choices")).isEqualTo(second.json().getJsonArray("choices"));
        promptTokens += first.json().getJsonObject("usage").getInteger("prompt_tokens")
                + second.json().getJsonObject("usage").getInteger("prompt_tokens");
        completionTokens += first.json().getJsonObject("usage").getInteger("completion_tokens")
                + second.json().getJsonObject("usage").getInteger("completion_tokens");

        Platform.Response missing = platform.send("POST", "/v1/completions", k, new JsonObject().put("model", "nope")
                .put("prompt", "x"));
        requests++;
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().getJsonObject("error").getString("code")).isEqualTo("model_not_found");
        Platform.Response badParam = platform.send("POST", "/v1/completions", k,
                new JsonObject().put("model", "starter-generator").put("max_tokens", -1));
        requests++;
        assertThat(badParam.status()).isEqualTo(400);
        assertThat(badParam.json().getJsonObject("error").getString("param")).isEqualTo("max_tokens");
        assertThat(platform.send("GET", "/v1/models", "lm-aaaaaaaaaaaa-" + "a".repeat(40), null).status()).isEqualTo(401);

        JsonObject usage = platform.send("GET", "/admin/v1/tenants/" + tenant + "/usage", platform.adminToken(), null).json();
        JsonObject totals = usage.getJsonObject("totals");
        assertThat(totals.getLong("requests")).isEqualTo(requests);
        assertThat(totals.getLong("prompt_tokens")).isEqualTo(promptTokens);
        assertThat(totals.getLong("completion_tokens")).isEqualTo(completionTokens);
        assertThat(usage.getJsonArray("data")).hasSize(requests);
        assertThat(usage.getJsonArray("data").stream().map(o -> ((JsonObject) o).getInteger("status")))
                .contains(200, 404, 400);
    }

    @Test
    @Order(2)
    void chatStreamingAndStopStringsWithTheRealWorker() throws Exception {
        JsonObject chat = platform.send("POST", "/v1/chat/completions", key, new JsonObject().put("model", "starter-generator")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "the striker")))
                .put("max_tokens", 12).put("temperature", 0)).json();
        assertThat(chat.getString("object")).isEqualTo("chat.completion");
        assertThat(chat.getString("id")).startsWith("chatcmpl-");
        JsonObject message = chat.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        assertThat(message.getString("role")).isEqualTo("assistant");
        assertThat(message.getString("content")).isNotBlank();

        Platform.Response streamed = platform.send("POST", "/v1/completions", key, new JsonObject().put("model", "starter-generator")
                .put("prompt", "the storm").put("max_tokens", 20).put("temperature", 0).put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true)));
        List<String> events = streamed.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        events.subList(0, events.size() - 1).stream().map(JsonObject::new).filter(c -> !c.getJsonArray("choices").isEmpty())
                .forEach(c -> text.append(c.getJsonArray("choices").getJsonObject(0).getString("text")));
        String whole = platform.send("POST", "/v1/completions", key, new JsonObject().put("model", "starter-generator")
                .put("prompt", "the storm").put("max_tokens", 20).put("temperature", 0)).json()
                .getJsonArray("choices").getJsonObject(0).getString("text");
        assertThat(text.toString()).isEqualTo(whole);

        JsonObject stopped = platform.send("POST", "/v1/completions", key, new JsonObject().put("model", "starter-generator")
                .put("prompt", "the storm").put("max_tokens", 40).put("temperature", 0).put("stop", ".")).json();
        JsonObject choice = stopped.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("text")).doesNotContain(".");
        assertThat(choice.getString("finish_reason")).isEqualTo("stop");

        String worker = workerUrl("starter-generator");
        String metrics = direct(worker + "/metrics", "Bearer " + workerToken(), null).body();
        assertThat(metrics).contains("lmaas_worker_batch_size", "lmaas_worker_tokens_total", "lmaas_worker_queue_depth",
                "model=\"starter-generator\"");

        // The gateway's (and, in local mode, the scheduler's) metrics: Vert.x's per-route HTTP figures and the roles' own.
        String gateway = platform.platform.url() + "/metrics";
        assertThat(direct(gateway, null, null).statusCode()).isEqualTo(401);
        String platformMetrics = direct(gateway, "Bearer " + workerToken(), null).body();
        assertThat(platformMetrics.lines().filter(l -> l.startsWith("vertx_http_server_requests_total{")).toList())
                .anySatisfy(l -> assertThat(l).contains("/completions\"}", "code=\"200\"", "method=\"POST\"")); // route: the routes matched, joined by '>'
        assertThat(platformMetrics).contains("vertx_http_server_response_time_seconds_bucket{",
                "lmaas_gateway_ledger_commit_seconds_count{", "lmaas_scheduler_reconcile_seconds_count{loop=\"deployments\"");
    }

    /**
     * The official OpenAI SDK (npm {@code openai}, installed by {@code .ci/run} into src/test/node),
     * unmodified: models, completions, chat, streamed chat with usage, and its typed errors.
     */
    @Test
    @Order(2)
    void theOfficialOpenAiSdkWorksUnmodified() throws Exception {
        Path script = Path.of("src/test/node/sdk-check.mjs").toAbsolutePath();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(script.resolveSibling("node_modules/openai")),
                "the OpenAI SDK is not installed: run `npm install` in deploy/src/test/node (.ci/run does)");
        Process p = new ProcessBuilder("node", script.toString(), platform.platform.url() + "/v1", key, "starter-generator")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        assertThat(r.getJsonArray("models").getList()).contains("starter-classifier", "starter-generator");
        assertThat(r.getJsonObject("completion").getString("text")).isNotBlank();
        assertThat(r.getJsonObject("completion").getJsonObject("usage").getInteger("completion_tokens")).isPositive();
        assertThat(r.getJsonObject("chat").getString("role")).isEqualTo("assistant");
        assertThat(r.getJsonObject("chat").getString("content")).isNotBlank();
        assertThat(r.getJsonObject("stream").getString("content")).isEqualTo(r.getJsonObject("chat").getString("content"));
        assertThat(r.getJsonObject("stream").getJsonObject("usage").getInteger("completion_tokens"))
                .isEqualTo(r.getJsonObject("chat").getJsonObject("usage").getInteger("completion_tokens"));
        assertThat(r.getJsonObject("badKey").getString("type")).isEqualTo("AuthenticationError");
        assertThat(r.getJsonObject("badKey").getInteger("status")).isEqualTo(401);
        assertThat(r.getJsonObject("missingModel").getString("type")).isEqualTo("NotFoundError");
        assertThat(r.getJsonObject("missingModel").getString("code")).isEqualTo("model_not_found");
    }

    @Test
    @Order(3)
    void aRegisteredVersionIsValidatedThenDeployedAndServed() throws Exception {
        String admin = platform.adminToken();
        Path original = platform.dataDir.resolve("artifacts/models/starter-classifier/1");
        Path generatorDir = platform.dataDir.resolve("artifacts/models/starter-generator/1");
        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "imported-topics")
                .put("task", "text-classification").put("description", "a copy of the starter classifier")).status()).isEqualTo(201);

        Path noWeights = copy(original, "no-weights");
        Files.delete(noWeights.resolve("weights.params"));
        Path wrongTokenizer = copy(generatorDir, "wrong-tokenizer");
        Files.copy(original.resolve("tokenizer.json"), wrongTokenizer.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path wrongShapes = copy(original, "wrong-shapes");
        Files.copy(generatorDir.resolve("weights.params"), wrongShapes.resolve("weights.params"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (var bad : List.of(java.util.Map.entry(noWeights, "missing weights.params"),
                java.util.Map.entry(wrongTokenizer, "mismatched tokenizer"),
                java.util.Map.entry(wrongShapes, "weights do not match"))) {
            Platform.Response r = platform.send("POST", "/admin/v1/models/imported-topics/versions", admin,
                    new JsonObject().put("version", "bad").put("path", bad.getKey().toString()));
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.json().getJsonObject("error").getString("code")).isEqualTo("invalid_model_version");
            assertThat(r.json().getJsonObject("error").getString("message")).contains(bad.getValue());
        }

        Platform.Response version = platform.send("POST", "/admin/v1/models/imported-topics/versions", admin,
                new JsonObject().put("version", "v1").put("path", copy(original, "good").toString()));
        assertThat(version.status()).as(version.body()).isEqualTo(201);
        Platform.Response deployed = platform.send("POST", "/admin/v1/deployments", admin, new JsonObject()
                .put("model", "imported-topics").put("version", "v1").put("replicas", 1));
        assertThat(deployed.status()).as(deployed.body()).isEqualTo(201);
        // The gateway holds the request while the new deployment's worker starts, then answers.
        await().atMost(Duration.ofMinutes(1)).until(() -> platform.send("POST", "/v1/classifications", key, new JsonObject()
                .put("model", "imported-topics").put("input", "the central bank cut interest rates")).status() == 200);
        assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", "imported-topics")
                .put("input", "the central bank cut interest rates")).json().getJsonArray("data").getJsonObject(0)
                .getString("label")).isEqualTo("finance");
        String deployment = deployed.json().getString("id");
        assertThat(platform.send("DELETE", "/admin/v1/deployments/" + deployment, admin, null).status()).isEqualTo(200);
    }

    private static String jsonl(List<SyntheticTopics.Example> examples) {
        StringBuilder sb = new StringBuilder();
        examples.forEach(e -> sb.append(new JsonObject().put("text", e.text()).put("label", e.label()).encode()).append('\n'));
        return sb.toString();
    }

    private static JsonObject job(String id) throws Exception {
        return platform.send("GET", "/v1/fine_tuning/jobs/" + id, key, null).json();
    }

    private static double accuracy(String model, List<SyntheticTopics.Example> heldOut) throws Exception {
        int correct = 0;
        for (int from = 0; from < heldOut.size(); from += 50) {
            List<SyntheticTopics.Example> batch = heldOut.subList(from, Math.min(heldOut.size(), from + 50));
            Platform.Response r = platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", model)
                    .put("input", new JsonArray(batch.stream().map(SyntheticTopics.Example::text).toList())));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonArray data = r.json().getJsonArray("data");
            for (int i = 0; i < batch.size(); i++) {
                if (data.getJsonObject(i).getString("label").equals(batch.get(i).label())) {
                    correct++;
                }
            }
        }
        return (double) correct / heldOut.size();
    }

    @Test
    @Order(3)
    void aFineTunedClassifierLearnsLabelsTheBaseNeverSawAndIsServed() throws Exception {
        List<SyntheticTopics.Example> heldOut = SyntheticTopics.novelExamples(300, 2026);
        String file = platform.upload(key, "fine-tune", "topics.jsonl", jsonl(SyntheticTopics.novelExamples(900, 11)))
                .getString("id");
        Platform.Response created = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject()
                .put("model", "starter-classifier").put("training_file", file).put("suffix", "topics").put("seed", 7)
                .put("hyperparameters", new JsonObject().put("n_epochs", 3).put("batch_size", 16)));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().getString("id");
        assertThat(created.json().getString("status")).isEqualTo("validating_files");

        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> List.of("succeeded", "failed",
                "cancelled").contains(job(id).getString("status")));
        JsonObject done = job(id);
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("succeeded");
        String model = done.getString("fine_tuned_model");
        assertThat(model).isEqualTo("ft:starter-classifier:" + tenantId + ":topics:" + id);
        assertThat(done.getLong("trained_tokens")).isPositive();

        // The events show the loss falling; three servable checkpoints were written.
        JsonArray events = platform.send("GET", "/v1/fine_tuning/jobs/" + id + "/events?limit=100", key, null).json()
                .getJsonArray("data");
        List<Double> losses = events.stream().map(JsonObject.class::cast).filter(e -> "metrics".equals(e.getString("type")))
                .map(e -> e.getJsonObject("data")).filter(d -> d.containsKey("epoch")).map(d -> d.getDouble("train_loss")).toList();
        assertThat(losses).hasSize(3);
        // Newest first: the last epoch's loss is the first listed.
        assertThat(losses.get(0)).isLessThan(losses.get(2));
        assertThat(platform.send("GET", "/v1/fine_tuning/jobs/" + id + "/checkpoints", key, null).json().getJsonArray("data"))
                .hasSize(3);

        // The tenant sees the model (once the gateway's directory refreshed); another tenant never does.
        await().atMost(Duration.ofSeconds(10)).until(() -> platform.send("GET", "/v1/models/" + model, key, null).status() == 200);
        String stranger = platform.createKey(platform.createTenant("ft-stranger"));
        assertThat(platform.send("GET", "/v1/models/" + model, stranger, null).status()).isEqualTo(404);
        assertThat(platform.send("GET", "/v1/models", stranger, null).body()).doesNotContain(model);

        // Deployed with one call, it classifies the held-out set far above chance (1/3) and the untuned base.
        Platform.Response deployed = platform.send("POST", "/admin/v1/deployments", platform.adminToken(), new JsonObject()
                .put("model", model).put("version", "1").put("replicas", 1));
        assertThat(deployed.status()).as(deployed.body()).isEqualTo(201);
        await().atMost(Duration.ofMinutes(1)).until(() -> platform.send("POST", "/v1/classifications", key, new JsonObject()
                .put("model", model).put("input", "x")).status() == 200);
        double tuned = accuracy(model, heldOut);
        double base = accuracy("starter-classifier", heldOut);
        assertThat(tuned).as("fine-tuned accuracy on the held-out set").isGreaterThan(0.9);
        assertThat(base).as("the base model cannot name labels it never saw").isLessThan(0.34);
        System.out.printf("fine-tuning E2E: held-out accuracy %.3f after, %.3f before (base model)%n", tuned, base);

        // The job's worker-seconds are in the ledger.
        JsonArray rows = platform.send("GET", "/admin/v1/tenants/" + tenantId + "/usage?limit=500", platform.adminToken(), null).json()
                .getJsonArray("data");
        assertThat(rows.stream().map(JsonObject.class::cast).filter(r -> "/v1/fine_tuning/jobs".equals(r.getString("endpoint"))
                && r.getDouble("compute_seconds") > 0)).isNotEmpty();
        // ... and in the daily roll-ups the usage reports read.
        assertThat(platform.send("GET", "/admin/v1/tenants/" + tenantId + "/usage?group_by=day", platform.adminToken(), null).json()
                .getJsonObject("totals").getDouble("compute_seconds")).isPositive();
        assertThat(platform.send("DELETE", "/admin/v1/deployments/" + deployed.json().getString("id"), platform.adminToken(), null)
                .status()).isEqualTo(200);
    }

    @Test
    @Order(3)
    void jobsCanBeCancelledFailOnABadFileAndResumeAfterTheirWorkerIsKilled() throws Exception {
        String file = platform.upload(key, "fine-tune", "topics-2.jsonl", jsonl(SyntheticTopics.novelExamples(600, 12)))
                .getString("id");
        // A resumable run: the worker is killed after its first checkpoint and the job finishes anyway.
        String resumed = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject().put("model", "starter-classifier")
                .put("training_file", file).put("hyperparameters", new JsonObject().put("n_epochs", 4))).json().getString("id");
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> !platform.send("GET",
                "/v1/fine_tuning/jobs/" + resumed + "/checkpoints", key, null).json().getJsonArray("data").isEmpty());
        Long pid = platform.platform.jobs().pid(resumed);
        assertThat(pid).isNotNull();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> List.of("succeeded", "failed")
                .contains(job(resumed).getString("status")));
        assertThat(job(resumed).getString("status")).isEqualTo("succeeded");
        JsonArray events = platform.send("GET", "/v1/fine_tuning/jobs/" + resumed + "/events?limit=100", key, null).json()
                .getJsonArray("data");
        assertThat(events.stream().map(JsonObject.class::cast).map(e -> e.getJsonObject("data").getString("event")))
                .contains("resumed");
        assertThat(platform.send("GET", "/v1/fine_tuning/jobs/" + resumed + "/checkpoints", key, null).json().getJsonArray("data"))
                .hasSize(4);

        // Cancelled while running: its worker stops and no model appears.
        String cancelled = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject().put("model", "starter-classifier")
                .put("training_file", file).put("hyperparameters", new JsonObject().put("n_epochs", 30))).json().getString("id");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> "running".equals(job(cancelled)
                .getString("status")));
        Platform.Response c = platform.send("POST", "/v1/fine_tuning/jobs/" + cancelled + "/cancel", key, null);
        assertThat(c.json().getString("status")).isEqualTo("cancelled");
        await().atMost(Duration.ofSeconds(30)).until(() -> platform.platform.jobs().pid(cancelled) == null);
        assertThat(job(cancelled).getString("fine_tuned_model")).isNull();
        assertThat(platform.send("POST", "/v1/fine_tuning/jobs/" + cancelled + "/cancel", key, null).status()).isEqualTo(400);

        // A file that is gone by the time the job runs: the job fails and says why.
        String doomedFile = platform.upload(key, "fine-tune", "doomed.jsonl", jsonl(SyntheticTopics.novelExamples(60, 13)))
                .getString("id");
        String doomed = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject().put("model", "starter-classifier")
                .put("training_file", doomedFile)).json().getString("id");
        assertThat(platform.send("DELETE", "/v1/files/" + doomedFile, key, null).status()).isEqualTo(200);
        await().atMost(Duration.ofMinutes(2)).until(() -> "failed".equals(job(doomed).getString("status")));
        assertThat(job(doomed).getJsonObject("error").getString("message")).contains(doomedFile);

        // Bad requests are refused up front with the field that is wrong.
        Platform.Response wrongTask = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject()
                .put("model", "starter-generator").put("training_file", file));
        assertThat(wrongTask.status()).isEqualTo(400);
        assertThat(wrongTask.json().getJsonObject("error").getString("param")).isEqualTo("training_file");
        Platform.Response badEpochs = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject()
                .put("model", "starter-classifier").put("training_file", file).put("hyperparameters", new JsonObject().put("n_epochs", 0)));
        assertThat(badEpochs.json().getJsonObject("error").getString("param")).isEqualTo("hyperparameters.n_epochs");
    }

    @Test
    @Order(3)
    void aJobThatSpendsTheMonthlyBudgetStopsAndNoMoreStart() throws Exception {
        String tenant = platform.createTenant("budget-co");
        String budgetKey = platform.createKey(tenant);
        assertThat(platform.send("PUT", "/admin/v1/tenants/" + tenant + "/gpu-queue", platform.adminToken(), new JsonObject()
                .put("weight", 1).put("fine_tuning_seconds_per_month", 3)).status()).isEqualTo(200);
        String file = platform.upload(budgetKey, "fine-tune", "budget.jsonl", jsonl(SyntheticTopics.novelExamples(600, 14)))
                .getString("id");
        String id = platform.send("POST", "/v1/fine_tuning/jobs", budgetKey, new JsonObject().put("model", "starter-classifier")
                .put("training_file", file).put("hyperparameters", new JsonObject().put("n_epochs", 50))).json().getString("id");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> List.of("succeeded", "failed",
                "cancelled").contains(platform.send("GET", "/v1/fine_tuning/jobs/" + id, budgetKey, null).json().getString("status")));
        JsonObject job = platform.send("GET", "/v1/fine_tuning/jobs/" + id, budgetKey, null).json();
        assertThat(job.getString("status")).as(job.encode()).isEqualTo("failed");
        assertThat(job.getJsonObject("error").getString("code")).isEqualTo("quota_exceeded");
        assertThat(job.getJsonObject("error").getString("message")).contains("3 worker-seconds");
        Platform.Response refused = platform.send("POST", "/v1/fine_tuning/jobs", budgetKey, new JsonObject()
                .put("model", "starter-classifier").put("training_file", file));
        assertThat(refused.status()).isEqualTo(402);
        assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("quota_exceeded");
    }

    @Test
    @Order(3)
    void aBatchOfAThousandClassificationsMatchesTheOnlineAnswers() throws Exception {
        List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(1000, 4242);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            lines.append(new JsonObject().put("custom_id", "row-" + i).put("method", "POST").put("url", "/v1/classifications")
                    .put("body", new JsonObject().put("model", "starter-classifier").put("input", inputs.get(i).text())).encode())
                    .append('\n');
        }
        String file = platform.upload(key, "batch", "rows.jsonl", lines.toString()).getString("id");
        long started = System.nanoTime();
        Platform.Response created = platform.send("POST", "/v1/batches", key, new JsonObject().put("input_file_id", file)
                .put("endpoint", "/v1/classifications").put("completion_window", "24h"));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().getString("id");
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250)).until(() -> List.of("completed", "failed",
                "cancelled").contains(platform.send("GET", "/v1/batches/" + id, key, null).json().getString("status")));
        double batchSeconds = (System.nanoTime() - started) / 1e9;
        JsonObject done = platform.send("GET", "/v1/batches/" + id, key, null).json();
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        assertThat(done.getJsonObject("request_counts").getInteger("completed")).isEqualTo(1000);
        assertThat(done.getString("error_file_id")).isNull();

        Map<String, JsonObject> answers = new HashMap<>();
        for (String line : platform.send("GET", "/v1/files/" + done.getString("output_file_id") + "/content", key, null).body()
                .split("\n")) {
            JsonObject o = new JsonObject(line);
            answers.put(o.getString("custom_id"), o.getJsonObject("response").getJsonObject("body").getJsonArray("data")
                    .getJsonObject(0));
        }
        assertThat(answers).hasSize(1000);
        long onlineStarted = System.nanoTime();
        int correct = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Platform.Response online = platform.send("POST", "/v1/classifications", key, new JsonObject()
                    .put("model", "starter-classifier").put("input", inputs.get(i).text()));
            JsonObject expected = online.json().getJsonArray("data").getJsonObject(0);
            JsonObject got = answers.get("row-" + i);
            assertThat(got.getString("label")).as("row %d", i).isEqualTo(expected.getString("label"));
            assertThat(got.getDouble("score")).as("row %d", i).isCloseTo(expected.getDouble("score"), Offset.offset(1e-4));
            correct += got.getString("label").equals(inputs.get(i).label()) ? 1 : 0;
        }
        double onlineSeconds = (System.nanoTime() - onlineStarted) / 1e9;
        assertThat(correct).isGreaterThan(900);
        System.out.printf("batch E2E: 1000 classifications in %.1f s as a batch (incl. polling), %.1f s online one by one;"
                + " labels identical, accuracy %.3f%n", batchSeconds, onlineSeconds, correct / 1000.0);
    }

    private static Path copy(Path from, String name) throws java.io.IOException {
        Path to = Files.createDirectories(platform.dataDir.resolve("candidates").resolve(name));
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    @Test
    @Order(2)
    void workersAnswerOnlyTheHoldersOfTheInternalTokenAndTheDatabaseOnlyItsPassword() throws Exception {
        String worker = workerUrl("starter-classifier");
        String body = new JsonObject().put("inputs", new JsonArray().add("the bank cut interest rates")).encode();
        for (String authorization : new String[] {null, "Bearer not-the-token-0123456789abcdef", key, "Bearer " + key}) {
            java.net.http.HttpResponse<String> refused = direct(worker + "/v1/classify", authorization, body);
            assertThat(refused.statusCode()).as("direct call with %s", authorization).isEqualTo(401);
            assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("code")).isEqualTo("unauthorized");
        }
        assertThat(direct(worker + "/metrics", null, null).statusCode()).isEqualTo(401);
        java.net.http.HttpResponse<String> served = direct(worker + "/v1/classify", "Bearer " + workerToken(), body);
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        java.net.http.HttpResponse<String> health = direct(worker + "/health", null, null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(health.body()).fieldNames()).containsExactly("state");

        String token = workerToken();
        Path proc = Path.of("/proc", Long.toString(workerProcess("starter-classifier").pid()));
        if (Files.isReadable(proc.resolve("cmdline"))) { // what ps shows every user of the machine
            assertThat(Files.readString(proc.resolve("cmdline"))).as("the worker's command line").contains("worker")
                    .doesNotContain(token);
            assertThat(Files.readString(proc.resolve("environ")).split("\0")).contains("LMAAS_WORKER_TOKEN=" + token);
        }
        for (Path secret : List.of(platform.platform.workerTokenFile(),
                io.lmaas.core.db.EmbeddedDatabase.passwordFile(platform.dataDir.resolve("postgres")))) {
            assertThat(Files.getPosixFilePermissions(secret)).as(secret.toString())
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    private static String workerToken() throws Exception {
        return Files.readString(platform.platform.workerTokenFile()).trim();
    }

    /** A call straight to a worker, past the gateway: GET, or POST of a JSON body. */
    private static java.net.http.HttpResponse<String> direct(String url, String authorization, String body) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        }
        return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
                .send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static String workerUrl(String modelId) throws Exception {
        return platform.send("GET", "/admin/v1/deployments", platform.adminToken(), null).json().getJsonArray("data").stream()
                .map(JsonObject.class::cast).filter(d -> d.getString("model").equals(modelId)).findFirst().orElseThrow()
                .getJsonArray("endpoints").getJsonObject(0).getString("url");
    }

    /**
     * Nothing of a request's content is kept: a marker sent in inputs, prompts and messages — answered, refused as too
     * long, as malformed JSON, as a bad parameter, to an unknown model — appears in no log line of the gateway and
     * scheduler (this JVM), in no worker's log, and in no file under the platform's data directory (PostgreSQL's data
     * and WAL, the artifact store, run files): the ledger keeps counts.
     */
    @Test
    @Order(4)
    void aRequestsContentReachesNoLogAndNoStoredFile() throws Exception {
        String marker = "zqx" + Long.toHexString(System.nanoTime()) + "marker";
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        root.addAppender(seen);
        try {
            String clf = "starter-classifier";
            assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", clf)
                    .put("input", "the bank " + marker + " cut rates")).status()).isEqualTo(200);
            assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", clf)
                    .put("input", "the bank cut rates " + marker).put("explain", true).put("steps", 4)).status()).isEqualTo(200);
            assertThat(platform.send("POST", "/v1/completions", key, new JsonObject().put("model", "starter-generator")
                    .put("prompt", "the storm " + marker).put("max_tokens", 4)).status()).isEqualTo(200);
            assertThat(platform.send("POST", "/v1/chat/completions", key, new JsonObject().put("model", "starter-generator")
                    .put("max_tokens", 4).put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                            .put("content", marker + " what happened")))).status()).isEqualTo(200);
            assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", clf)
                    .put("input", (marker + " ").repeat(400))).status()).isEqualTo(400);
            assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", clf)
                    .put("input", "x").put("truncate", marker)).status()).isEqualTo(400);
            assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", "no-such-model")
                    .put("input", marker)).status()).isEqualTo(404);
            assertThat(direct(platform.platform.url() + "/v1/classifications", "Bearer " + key,
                    "{\"model\": \"starter-classifier\", \"input\": \"" + marker).statusCode()).isEqualTo(400);
            Thread.sleep(2500); // the ledger's commits and the hourly roll-up have run
        } finally {
            root.detachAppender(seen);
        }
        assertThat(seen.list).isNotEmpty().noneSatisfy(e -> assertThat(e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy())))
                .contains(marker));
        byte[] needle = marker.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<Path> holding = new java.util.ArrayList<>();
        try (var files = Files.walk(platform.dataDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(f);
                } catch (java.io.IOException e) {
                    continue; // a file that went away meanwhile (PostgreSQL's temporary files)
                }
                if (indexOf(bytes, needle) >= 0) {
                    holding.add(platform.dataDir.relativize(f));
                }
            }
        }
        assertThat(holding).as("files under the data directory holding a request's content").isEmpty();
    }

    /**
     * Everything tenants' data became in the artifact store by now — uploaded files, batch inputs and outputs, the
     * fine-tuning jobs' checkpoints, the fine-tuned models (served above by workers that decrypted them in memory) — is
     * sealed with the tenant's data key; a marker uploaded in a file appears nowhere under the data directory; the local
     * master key is readable by its owner only.
     */
    @Test
    @Order(4)
    void everythingATenantsDataBecameIsSealedOnDisk() throws Exception {
        String marker = "zqx" + Long.toHexString(System.nanoTime()) + "sealed";
        platform.upload(key, "fine-tune", "marked.jsonl", "{\"text\": \"" + marker + " one\", \"label\": \"a\"}\n"
                + "{\"text\": \"" + marker + " two\", \"label\": \"b\"}\n");
        Path artifacts = platform.dataDir.resolve("artifacts");
        Map<String, Integer> sealedByKind = new HashMap<>();
        List<Path> plaintext = new java.util.ArrayList<>();
        for (String kind : List.of("files", "jobs", "models")) {
            try (var walk = Files.walk(artifacts.resolve(kind))) {
                for (Path f : walk.filter(Files::isRegularFile).toList()) {
                    Path rel = artifacts.relativize(f);
                    boolean tenants = !kind.equals("models") || rel.getName(1).toString().startsWith("ft:");
                    if (!tenants) {
                        continue; // the platform's own models (starters, imports) are not tenant data
                    }
                    if (io.lmaas.core.crypto.Artifacts.sealed(f)) {
                        sealedByKind.merge(kind, 1, Integer::sum);
                    } else {
                        plaintext.add(rel);
                    }
                }
            }
        }
        assertThat(plaintext).as("tenants' artifacts in the clear").isEmpty();
        assertThat(sealedByKind.keySet()).as("sealed files, checkpoints and fine-tuned models were found")
                .containsExactlyInAnyOrder("files", "jobs", "models");
        byte[] needle = marker.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (var walk = Files.walk(platform.dataDir)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(f);
                } catch (java.io.IOException e) {
                    continue; // gone meanwhile (PostgreSQL's temporary files)
                }
                assertThat(indexOf(bytes, needle)).as("the marker in " + platform.dataDir.relativize(f)).isEqualTo(-1);
            }
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                platform.dataDir.resolve(io.lmaas.core.crypto.MasterKeys.LOCAL_FILE)))).isEqualTo("rw-------");
        System.out.println("encryption at rest E2E: sealed tenant artifacts " + sealedByKind);
    }

    @Test
    @Order(4)
    void aKilledWorkerIsRestartedAndItsEndpointComesBack() throws Exception {
        ProcessHandle worker = workerProcess("starter-classifier");
        worker.destroyForcibly();
        worker.onExit().get(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Platform.Response r = platform.send("POST", "/v1/classifications", key,
                    new JsonObject().put("model", "starter-classifier").put("input", "the bank cut interest rates"));
            if (r.status() == 503) {
                assertThat(r.json().getJsonObject("error").getString("code")).isEqualTo("model_not_ready");
                assertThat(r.retryAfter()).isNotNull();
            }
            return r.status() == 200 && r.json().getJsonArray("data").getJsonObject(0).getString("label").equals("finance");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> platform.send("GET", "/admin/v1/deployments",
                platform.adminToken(), null).json().getJsonArray("data").stream().map(JsonObject.class::cast)
                .filter(d -> d.getString("model").equals("starter-classifier"))
                .allMatch(d -> d.getLong("ready_replicas") == 1));
        ProcessHandle replacement = workerProcess("starter-classifier");
        assertThat(replacement.pid()).isNotEqualTo(worker.pid());
        JsonObject endpoint = platform.send("GET", "/admin/v1/deployments", platform.adminToken(), null).json()
                .getJsonArray("data").stream().map(JsonObject.class::cast)
                .filter(d -> d.getString("model").equals("starter-classifier")).findFirst().orElseThrow()
                .getJsonArray("endpoints").getJsonObject(0);
        assertThat(endpoint.getInteger("restarts")).isEqualTo(1);
    }

    @Test
    @Order(5)
    void aRestartReusesTheDatabaseAndTheTrainedModels() throws Exception {
        Path dataDir = platform.dataDir;
        long trainedAt = Files.getLastModifiedTime(dataDir.resolve("artifacts/models/starter-classifier/1/weights.params"))
                .toMillis();
        platform.close();
        platform = Platform.start(dataDir);
        platform.platform.starters().await(2, TimeUnit.MINUTES);
        assertThat(platform.send("GET", "/admin/v1/tenants/" + tenantId, platform.adminToken(), null).status()).isEqualTo(200);
        awaitServing(key);
        assertThat(Files.getLastModifiedTime(dataDir.resolve("artifacts/models/starter-classifier/1/weights.params"))
                .toMillis()).isEqualTo(trainedAt);
        Platform.Response models = platform.send("GET", "/v1/models", key, null);
        assertThat(models.json().getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")))
                .contains("starter-classifier", "starter-generator", "imported-topics");
    }

    /** The model's worker process, found through the admin API's view of deployments. */
    private static ProcessHandle workerProcess(String modelId) throws Exception {
        JsonArray deployments = platform.send("GET", "/admin/v1/deployments", platform.adminToken(), null).json()
                .getJsonArray("data");
        JsonObject deployment = deployments.stream().map(JsonObject.class::cast)
                .filter(d -> d.getString("model").equals(modelId)).findFirst().orElseThrow();
        assertThat(deployment.getLong("ready_replicas")).isEqualTo(1);
        long pid = deployment.getJsonArray("endpoints").getJsonObject(0).getLong("pid");
        ProcessHandle worker = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        assertThat(ProcessHandle.current().descendants().map(ProcessHandle::pid)).contains(pid);
        return worker;
    }
}
