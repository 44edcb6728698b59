package io.lmaas.worker.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.worker.hf.lora.LoraAdapter;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters served by a worker of their base over HTTP: a request naming an adapter gets the adapted model's own
 * greedy text; with one adapter slot ({@code max_loras=1}) two adapters are evicted and reloaded in turn, and
 * concurrent requests for both are all answered (one waits for the slot); an adapter outside the worker's adapters
 * root, or one that does not fit the base, is a 400.
 */
class AdapterServingTest {
    private static final String TOKEN = "worker-token-for-tests-0123456789";
    private static Vertx vertx;
    private static WebClient client;
    private static int port;
    private static Path fixtures;
    private static Path base;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        fixtures = Path.of(AdapterServingTest.class.getResource("/decoder-fixtures/llama/config.json").toURI()).getParent().getParent();
        base = Files.createDirectories(tmp.resolve("llama"));
        try (var files = Files.list(fixtures.resolve("llama"))) {
            for (Path f : files.toList()) {
                Files.copy(f, base.resolve(f.getFileName()));
            }
        }
        Files.writeString(base.resolve("serving.properties"), "max_loras=1\n");
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        WorkerVerticle worker = new WorkerVerticle(new WorkerConfig(base, "tiny-llama", "127.0.0.1", 0, null,
                ServedModel.Overrides.NONE, Duration.ofSeconds(5), Optional.empty(), TOKEN, fixtures, "auto"));
        vertx.deployVerticle(worker).await(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(() -> worker.state() != ModelState.LOADING);
        assertThat(worker.state()).isEqualTo(ModelState.READY);
        port = worker.port();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static Future<HttpResponse<Buffer>> generate(String prompt, String adapter) {
        JsonObject body = new JsonObject().put("prompt", prompt).put("max_tokens", 5).put("temperature", 0);
        if (adapter != null) {
            body.put("adapter", new JsonObject().put("name", "ft:" + adapter).put("path", fixtures.resolve(adapter).toString()));
        }
        return client.post(port, "127.0.0.1", "/v1/generate").putHeader("authorization", WorkerToken.header(TOKEN))
                .sendBuffer(body.toBuffer());
    }

    /** The adapted model's own greedy continuation (token ids), computed on the runtime directly. */
    private static String expected(String prompt, String adapter) throws Exception {
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(fixtures.resolve("llama"))) {
            int slot = 0;
            if (adapter != null) {
                slot = runtime.adapters().freeSlot();
                runtime.adapters().put(slot, LoraAdapter.load(fixtures.resolve(adapter), runtime.adapters().base()));
            }
            long[] window = runtime.tokenizer().encode(prompt);
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                float[] logits;
                try (KvCache cache = runtime.newCache()) {
                    logits = runtime.prefill(cache, window, slot);
                }
                int best = 0;
                for (int t = 1; t < logits.length; t++) {
                    best = logits[t] > logits[best] ? t : best;
                }
                if (runtime.isEos(best)) {
                    break;
                }
                out.add((long) best);
                window = java.util.Arrays.copyOf(window, window.length + 1);
                window[window.length - 1] = best;
            }
            return runtime.tokenizer().decode(out.stream().mapToLong(Long::longValue).toArray()).strip();
        }
    }

    @Test
    void eachRequestGetsItsAdaptersTextThroughEvictionsAndConcurrency() throws Exception {
        String prompt = "w5 w9 w17 w33";
        String bare = expected(prompt, null);
        String a = expected(prompt, "llama-adapter-a");
        String b = expected(prompt, "llama-adapter-b");
        assertThat(List.of(a, b)).as("the adapters change what the model says").isNotEqualTo(List.of(bare, bare));
        for (String adapter : new String[] {"llama-adapter-a", "llama-adapter-b", null, "llama-adapter-a"}) {
            HttpResponse<Buffer> r = generate(prompt, adapter).await(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            String want = adapter == null ? bare : adapter.endsWith("-a") ? a : b;
            assertThat(r.bodyAsJsonObject().getString("text").strip()).as(String.valueOf(adapter)).isEqualTo(want);
        }
        // One slot, both adapters at once: every request is answered, each with its own adapter's text.
        List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(generate(prompt, i % 2 == 0 ? "llama-adapter-a" : "llama-adapter-b"));
        }
        for (int i = 0; i < 6; i++) {
            HttpResponse<Buffer> r = all.get(i).await(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            assertThat(r.bodyAsJsonObject().getString("text").strip()).isEqualTo(i % 2 == 0 ? a : b);
        }
        JsonObject health = client.get(port, "127.0.0.1", "/health").putHeader("authorization", WorkerToken.header(TOKEN)).send()
                .await(30, TimeUnit.SECONDS).bodyAsJsonObject();
        assertThat(health.getInteger("max_adapters")).isEqualTo(1);
        assertThat(health.getJsonArray("adapters").getList()).hasSize(1).first().asString().startsWith("ft:llama-adapter-");
    }

    @Test
    void adaptersOutsideTheRootOrNotFittingTheBaseAreRefused() throws Exception {
        JsonObject outside = new JsonObject().put("prompt", "w5").put("adapter", new JsonObject().put("name", "x")
                .put("path", tmp.toString()));
        HttpResponse<Buffer> r = client.post(port, "127.0.0.1", "/v1/generate").putHeader("authorization", WorkerToken.header(TOKEN))
                .sendBuffer(outside.toBuffer()).await(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.bodyAsString()).contains("not under this worker's adapters root");
        // A directory under the root that is not an adapter (the base itself).
        HttpResponse<Buffer> notAdapter = generate("w5", "qwen2").await(30, TimeUnit.SECONDS);
        assertThat(notAdapter.statusCode()).isEqualTo(400);
        assertThat(notAdapter.bodyAsString()).contains("adapter_config.json: missing");
    }
}
