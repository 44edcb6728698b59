package io.lmaas.worker.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lmaas.core.config.ConfigException;
import io.lmaas.core.config.Settings;
import io.lmaas.core.logging.RequestLog;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.worker.testing.TrainedStarters;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker's HTTP API over real HTTP with real models. */
class WorkerVerticleTest {
    private static final String TOKEN = "worker-token-for-tests-0123456789";
    private static final String BEARER = WorkerToken.header(TOKEN);
    private Vertx vertx;
    private WebClient client;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private int start(Path modelDir, Path portFile) throws Exception {
        return start(modelDir, portFile, "auto");
    }

    private int start(Path modelDir, Path portFile, String device) throws Exception {
        WorkerVerticle worker = new WorkerVerticle(new WorkerConfig(modelDir, "m", "127.0.0.1", 0, portFile,
                ServedModel.Overrides.NONE, Duration.ofSeconds(5), Optional.empty(), TOKEN, null, device));
        vertx.deployVerticle(worker).await(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> worker.state() != ModelState.LOADING);
        started = worker;
        return worker.port();
    }

    /** The worker the last {@link #start} started. */
    private WorkerVerticle started;

    private HttpResponse<Buffer> post(int port, String path, String body) throws Exception {
        return client.post(port, "127.0.0.1", path).putHeader("authorization", BEARER).sendBuffer(Buffer.buffer(body))
                .await(30, TimeUnit.SECONDS);
    }

    @Test
    void itsApiDocumentIsWhatItServesAndBodiesAreCheckedAgainstIt(@TempDir Path tmp) throws Exception {
        int port = start(TrainedStarters.classifier(), tmp.resolve("port"));
        java.util.Set<String> documented = new java.util.TreeSet<>();
        new JsonObject(WorkerApi.DOCUMENT).getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).fieldNames()
                .forEach(m -> documented.add(m.toUpperCase() + " " + p.getKey())));
        assertThat(io.lmaas.core.api.RouteTable.operations(started.router())).isEqualTo(documented);
        record Case(String path, String body, String param) {
        }
        for (Case c : java.util.List.of(new Case("/v1/classify", "{\"inputs\": [\"a\", 1]}", "inputs[1]"),
                new Case("/v1/classify", "{\"inputs\": []}", "inputs"),
                new Case("/v1/embed", "{\"inputs\": [[1, -2]]}", "inputs[0][1]"),
                new Case("/v1/generate", "{\"prompt\": \"x\", \"max_tokens\": 0}", "max_tokens"),
                new Case("/v1/generate", "{\"prompt\": \"x\", \"adapter\": {\"name\": \"a\"}}", "adapter.path"))) {
            HttpResponse<Buffer> r = post(port, c.path(), c.body());
            assertThat(r.statusCode()).as(c.body() + " " + r.bodyAsString()).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("invalid_request");
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).as(r.bodyAsString()).isEqualTo(c.param());
        }
    }

    @Test
    void classifiesAndReportsReadinessAndItsPort(@TempDir Path tmp) throws Exception {
        Path portFile = tmp.resolve("w.port");
        int port = start(TrainedStarters.classifier(), portFile);
        assertThat(Files.readString(portFile)).isEqualTo(Integer.toString(port));

        HttpResponse<Buffer> health = client.get(port, "127.0.0.1", "/health").putHeader("authorization", BEARER).send()
                .await(10, TimeUnit.SECONDS);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.bodyAsJsonObject().getString("state")).isEqualTo("ready");
        assertThat(health.bodyAsJsonObject().getString("task")).isEqualTo("text-classification");
        // The device it computes on: this build's libtorch is the CPU one, so auto is the CPU.
        JsonObject info = health.bodyAsJsonObject().getJsonObject("info");
        assertThat(info.getString("device")).isEqualTo("cpu");
        assertThat(info.getString("engine")).startsWith("libtorch ").endsWith("(CPU)");
        String metrics = client.get(port, "127.0.0.1", "/metrics").putHeader("authorization", BEARER).send()
                .await(10, TimeUnit.SECONDS).bodyAsString();
        assertThat(metrics).containsPattern("lmaas_worker_device\\{device=\"cpu\",engine=\"libtorch [^\"]+\",model=\"m\"} 1.0")
                .contains("lmaas_worker_resident_memory_bytes{model=\"m\"}");

        HttpResponse<Buffer> r = post(port, "/v1/classify", new JsonObject()
                .put("inputs", new JsonArray().add("the hedge fund sold share prices").add("the storm hit the islands")).encode());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonArray data = r.bodyAsJsonObject().getJsonArray("data");
        assertThat(data.getJsonObject(0).getString("label")).isEqualTo("finance");
        assertThat(data.getJsonObject(1).getString("label")).isEqualTo("weather");
    }

    @Test
    void everyRequestIsLoggedAsOneStructuredLineWithItsRequestId() throws Exception {
        ch.qos.logback.classic.Logger requests = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RequestLog.LOGGER);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        requests.addAppender(seen);
        Level before = requests.getLevel();
        requests.setLevel(Level.INFO);
        try {
            int port = start(TrainedStarters.classifier(), null);
            HttpResponse<Buffer> r = client.post(port, "127.0.0.1", "/v1/classify").putHeader("x-request-id", "req-log-1")
                    .putHeader("authorization", BEARER)
                    .sendBuffer(Buffer.buffer("{\"inputs\":[\"the storm hit the islands\"]}")).await(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> !seen.list.isEmpty());
            ILoggingEvent event = seen.list.get(0);
            assertThat(event.getFormattedMessage()).startsWith("POST /v1/classify 200 ");
            java.util.Map<String, Object> fields = new java.util.HashMap<>();
            event.getKeyValuePairs().forEach(kv -> fields.put(kv.key, kv.value));
            assertThat(fields).containsEntry("request_id", "req-log-1").containsEntry("model", "m")
                    .containsEntry("status", 200).containsEntry("inputs", 1).containsKey("duration_ms").containsKey("tokens");
            // The JSON format (LMAAS_LOG_FORMAT=JSON) carries the same fields, machine-readable.
            JsonEncoder json = new JsonEncoder();
            json.setContext(requests.getLoggerContext());
            json.start();
            JsonObject line = new JsonObject(new String(json.encode(event), java.nio.charset.StandardCharsets.UTF_8).trim());
            assertThat(line.getString("level")).isEqualTo("INFO");
            assertThat(line.getJsonArray("kvpList").encode()).contains("\"request_id\":\"req-log-1\"");
        } finally {
            requests.detachAppender(seen);
            requests.setLevel(before);
        }
    }

    @Test
    void badRequestsGetClearErrors() throws Exception {
        int port = start(TrainedStarters.classifier(), null);
        HttpResponse<Buffer> notJson = post(port, "/v1/classify", "{nope");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("invalid_json");
        HttpResponse<Buffer> empty = post(port, "/v1/classify", "{\"inputs\":[\"\"]}");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("must not be empty");
        HttpResponse<Buffer> wrongTask = post(port, "/v1/generate", "{\"prompt\":\"x\"}");
        assertThat(wrongTask.statusCode()).isEqualTo(400);
        assertThat(wrongTask.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("wrong_task");
    }

    @Test
    void generates() throws Exception {
        int port = start(TrainedStarters.generator(), null);
        HttpResponse<Buffer> r = post(port, "/v1/generate", new JsonObject().put("prompt", "the storm").put("max_tokens", 8)
                .put("temperature", 0).encode());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getString("text")).isNotBlank();
        assertThat(r.bodyAsJsonObject().getInteger("completion_tokens")).isBetween(1, 8);
        HttpResponse<Buffer> bad = post(port, "/v1/generate", "{\"prompt\":\"x\",\"max_tokens\":0}");
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void aModelThatCannotLoadIsReportedFailedWithItsReason(@TempDir Path empty) throws Exception {
        int port = start(empty, null);
        HttpResponse<Buffer> health = client.get(port, "127.0.0.1", "/health").putHeader("authorization", BEARER).send()
                .await(10, TimeUnit.SECONDS);
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.bodyAsJsonObject().getString("state")).isEqualTo("failed");
        assertThat(health.bodyAsJsonObject().getString("message")).contains("missing serving.properties");
        HttpResponse<Buffer> r = post(port, "/v1/classify", "{\"inputs\":[\"x\"]}");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("model_not_ready");
    }

    @Test
    void aWorkerToldToUseAGpuTheEngineDoesNotSeeFailsInsteadOfServingOnTheCpu() throws Exception {
        int port = start(TrainedStarters.classifier(), null, "gpu");
        HttpResponse<Buffer> health = client.get(port, "127.0.0.1", "/health").putHeader("authorization", BEARER).send()
                .await(10, TimeUnit.SECONDS);
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.bodyAsJsonObject().getString("state")).isEqualTo("failed");
        assertThat(health.bodyAsJsonObject().getString("message")).contains("device 'gpu': the engine sees 0 GPU(s)")
                .contains("CUDA build");
        assertThat(post(port, "/v1/classify", "{\"inputs\":[\"x\"]}").statusCode()).isEqualTo(503);
    }

    @Test
    void answersNothingButHealthWithoutTheInternalToken() throws Exception {
        int port = start(TrainedStarters.classifier(), null);
        String body = "{\"inputs\":[\"the storm hit the islands\"]}";
        for (String authorization : new String[] {null, "Bearer wrong-token-0123456789abcdef", "Bearer " + TOKEN + "x",
                TOKEN, "Basic " + TOKEN}) {
            var request = client.post(port, "127.0.0.1", "/v1/classify");
            var metrics = client.get(port, "127.0.0.1", "/metrics");
            var unknown = client.get(port, "127.0.0.1", "/v1/models");
            if (authorization != null) {
                request.putHeader("authorization", authorization);
                metrics.putHeader("authorization", authorization);
                unknown.putHeader("authorization", authorization);
            }
            for (HttpResponse<Buffer> r : java.util.List.of(request.sendBuffer(Buffer.buffer(body)).await(30, TimeUnit.SECONDS),
                    metrics.send().await(10, TimeUnit.SECONDS), unknown.send().await(10, TimeUnit.SECONDS))) {
                assertThat(r.statusCode()).as("with %s", authorization).isEqualTo(401);
                assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("unauthorized");
            }
        }
        assertThat(post(port, "/v1/classify", body).statusCode()).isEqualTo(200);
        assertThat(client.get(port, "127.0.0.1", "/metrics").putHeader("authorization", BEARER).send()
                .await(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        // Probes (kubelet, the local backend) need no credential, and learn only the state.
        HttpResponse<Buffer> health = client.get(port, "127.0.0.1", "/health").send().await(10, TimeUnit.SECONDS);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.bodyAsJsonObject().fieldNames()).containsExactly("state");
    }

    @Test
    void aWorkerWithoutATokenDoesNotStart(@TempDir Path tmp) {
        Map<String, String> settings = Map.of("model-dir", tmp.toString());
        assertThatThrownBy(() -> WorkerConfig.from(Settings.of(settings))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(WorkerToken.ENV);
        assertThatThrownBy(() -> WorkerConfig.from(Settings.of(Map.of("model-dir", tmp.toString(), "worker-token", "short"))))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> new WorkerVerticle(new WorkerConfig(tmp, "m", "127.0.0.1", 0, null,
                ServedModel.Overrides.NONE, Duration.ofSeconds(5), Optional.empty(), "", null, "auto")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(WorkerConfig.from(Settings.of(Map.of("model-dir", tmp.toString(), "worker-token", TOKEN))).toString())
                .doesNotContain(TOKEN);
    }
}
