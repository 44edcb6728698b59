package io.lmaas.worker.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.ndarray.NDManager;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.EncoderRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.testing.HfModels;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
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
 * Hugging Face encoder directories served by a worker over real HTTP: the real all-MiniLM-L6-v2 answers
 * {@code /v1/embed} exactly as the model does alone whatever batch and length bucket an input lands in; the tiny BERT
 * classifier answers {@code /v1/classify} with its own labels and the softmax of its own logits; inputs that are too
 * long, empty or outside the vocabulary are refused with a code and the parameter.
 */
class EncoderServingTest {
    private static final String TOKEN = "worker-token-for-tests-0123456789";
    private static Vertx vertx;
    private static WebClient client;
    private static int embedder;
    private static int classifier;
    private static Path classifierDir;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        embedder = start(HfModels.miniLm());
        classifierDir = HfModels.bertClassifier(tmp.resolve("bert"));
        classifier = start(classifierDir);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static int start(Path dir) throws Exception {
        WorkerVerticle worker = new WorkerVerticle(new WorkerConfig(dir, "m", "127.0.0.1", 0, null, ServedModel.Overrides.NONE,
                Duration.ofSeconds(5), Optional.empty(), TOKEN, null, "auto"));
        vertx.deployVerticle(worker).await(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(() -> worker.state() != ModelState.LOADING);
        assertThat(worker.state()).isEqualTo(ModelState.READY);
        return worker.port();
    }

    private static HttpResponse<Buffer> post(int port, String path, JsonObject body) throws Exception {
        return client.post(port, "127.0.0.1", path).putHeader("authorization", WorkerToken.header(TOKEN))
                .sendBuffer(body.toBuffer()).await(60, TimeUnit.SECONDS);
    }

    private static float[] vector(JsonObject item) {
        JsonArray values = item.getJsonArray("embedding");
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.getFloat(i);
        }
        return v;
    }

    /**
     * The batcher's inference threads run each layer as one fused call. libtorch's grad mode is per thread and on by
     * default on a new thread, and the kernel applies only where it is off: before the runtimes turned it off for
     * inference, the served path ran op by op while every test on the engine's own thread ran fused.
     */
    @Test
    void theBatchersThreadsRunTheFusedLayers() throws Exception {
        try (ServedModel served = ServedModel.load(HfModels.miniLm(), io.lmaas.worker.runtime.ComputeDevice.cpu(),
                ServedModel.Overrides.NONE, io.lmaas.worker.wlm.ServingObserver.NONE)) {
            ServedModel.Embedder embedder = (ServedModel.Embedder) served;
            long before = embedder.runtime().fusedLayerCalls();
            embedder.batcher().submit(List.of("the striker scored a late goal", "央行宣布降息")).get(60, TimeUnit.SECONDS);
            assertThat(embedder.runtime().fusedLayerCalls()).as("layers run fused on the batcher's threads").isGreaterThan(before);
        }
    }

    @Test
    void embeddingsAreTheModelsOwnWhateverTheBatch() throws Exception {
        List<String> sentences = List.of("the striker scored a late goal", "央行宣布降息", "🙂",
                "heavy rain flooded the harbor overnight and the ferries stayed in port until the wind dropped",
                "a new chip doubles battery life", "how do I reset my password?", "naïve café résumé",
                "Stocks fell sharply on Tuesday. ".repeat(12));
        List<float[]> alone = new ArrayList<>();
        try (ModelRuntime runtime = ModelRuntime.load(HfModels.miniLm())) {
            EncoderRuntime e = (EncoderRuntime) runtime;
            for (String s : sentences) {
                alone.add(e.embedder().run(List.of(e.tokenizer().encode(s, false))).get(0));
            }
        }
        // One request with every sentence (split into length buckets), and concurrent single requests (batched together).
        JsonArray all = new JsonArray();
        sentences.forEach(all::add);
        HttpResponse<Buffer> together = post(embedder, "/v1/embed", new JsonObject().put("inputs", all));
        assertThat(together.statusCode()).as(together.bodyAsString()).isEqualTo(200);
        List<Future<HttpResponse<Buffer>>> singles = new ArrayList<>();
        for (String s : sentences) {
            singles.add(client.post(embedder, "127.0.0.1", "/v1/embed").putHeader("authorization", WorkerToken.header(TOKEN))
                    .sendBuffer(new JsonObject().put("inputs", new JsonArray().add(s)).toBuffer()));
        }
        Future.all(singles).await(60, TimeUnit.SECONDS);
        for (int i = 0; i < sentences.size(); i++) {
            float[] batched = vector(together.bodyAsJsonObject().getJsonArray("data").getJsonObject(i));
            float[] single = vector(singles.get(i).result().bodyAsJsonObject().getJsonArray("data").getJsonObject(0));
            assertThat(batched).hasSize(384);
            double norm = 0;
            for (int d = 0; d < 384; d++) {
                assertThat(batched[d]).as("sentence %d dim %d in one request", i, d)
                        .isCloseTo(alone.get(i)[d], org.assertj.core.data.Offset.offset(1e-5f));
                assertThat(single[d]).as("sentence %d dim %d alone", i, d)
                        .isCloseTo(alone.get(i)[d], org.assertj.core.data.Offset.offset(1e-5f));
                norm += batched[d] * batched[d];
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(together.bodyAsJsonObject().getJsonArray("tokens").getInteger(0)).isEqualTo(8);
        // The items are the client's (OpenAI's shape), passed on by the gateway as they are.
        assertThat(together.bodyAsJsonObject().getJsonArray("data").getJsonObject(1).fieldNames())
                .containsExactly("object", "index", "embedding");
        assertThat(together.bodyAsJsonObject().getJsonArray("data").getJsonObject(1).getInteger("index")).isEqualTo(1);

        // base64: the little-endian float32s of the same vector.
        HttpResponse<Buffer> encoded = post(embedder, "/v1/embed", new JsonObject().put("inputs", new JsonArray(sentences))
                .put("encoding_format", "base64"));
        assertThat(encoded.statusCode()).isEqualTo(200);
        java.nio.FloatBuffer decoded = java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(encoded.bodyAsJsonObject()
                .getJsonArray("data").getJsonObject(0).getString("embedding"))).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] floats = vector(together.bodyAsJsonObject().getJsonArray("data").getJsonObject(0));
        assertThat(decoded.remaining()).isEqualTo(floats.length);
        for (int d = 0; d < floats.length; d++) {
            assertThat(decoded.get(d)).isCloseTo(floats[d], org.assertj.core.data.Offset.offset(1e-5f));
        }
        HttpResponse<Buffer> unknown = post(embedder, "/v1/embed", new JsonObject().put("inputs", new JsonArray().add("x"))
                .put("encoding_format", "int8"));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("encoding_format");
    }

    @Test
    void tokenIdsAreTakenAsTheyAre() throws Exception {
        long[] ids;
        try (ModelRuntime runtime = ModelRuntime.load(HfModels.miniLm())) {
            ids = ((EncoderRuntime) runtime).tokenizer().encode("the central bank cut rates", false).ids();
        }
        JsonArray idArray = new JsonArray();
        for (long id : ids) {
            idArray.add(id);
        }
        JsonObject answer = post(embedder, "/v1/embed", new JsonObject()
                .put("inputs", new JsonArray().add("the central bank cut rates").add(idArray))).bodyAsJsonObject();
        JsonArray data = answer.getJsonArray("data");
        float[] text = vector(data.getJsonObject(0));
        float[] tokens = vector(data.getJsonObject(1));
        for (int d = 0; d < text.length; d++) {
            assertThat(tokens[d]).isCloseTo(text[d], org.assertj.core.data.Offset.offset(1e-6f));
        }
        assertThat(answer.getJsonArray("tokens").getInteger(1)).isEqualTo(ids.length);

        HttpResponse<Buffer> outside = post(embedder, "/v1/embed", new JsonObject()
                .put("inputs", new JsonArray().add(new JsonArray().add(101).add(40_000).add(102))));
        assertThat(outside.statusCode()).isEqualTo(400);
        assertThat(outside.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("input 0", "40000", "vocabulary");
    }

    @Test
    void tooLongInputsAreRefusedUnlessTruncationIsAsked() throws Exception {
        String longText = "the striker scored a late goal and ".repeat(80);
        JsonObject body = new JsonObject().put("inputs", new JsonArray().add("short").add(longText));
        HttpResponse<Buffer> refused = post(embedder, "/v1/embed", body);
        assertThat(refused.statusCode()).isEqualTo(400);
        JsonObject error = refused.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("context_length_exceeded");
        assertThat(error.getString("param")).isEqualTo("input");
        assertThat(error.getString("message")).contains("input 1 has 562 tokens", "at most 512");

        HttpResponse<Buffer> cut = post(embedder, "/v1/embed", body.copy().put("truncate", true));
        assertThat(cut.statusCode()).isEqualTo(200);
        assertThat(cut.bodyAsJsonObject().getJsonArray("tokens").getInteger(1)).isEqualTo(562);
    }

    @Test
    void emptyInputsAndWrongShapesAreRefused() throws Exception {
        HttpResponse<Buffer> empty = post(embedder, "/v1/embed", new JsonObject().put("inputs", new JsonArray().add("a").add("")));
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("input 1", "empty");
        assertThat(post(embedder, "/v1/embed", new JsonObject().put("inputs", new JsonArray())).statusCode()).isEqualTo(400);
        assertThat(post(embedder, "/v1/embed", new JsonObject().put("inputs", new JsonArray().add(3))).statusCode()).isEqualTo(400);
        assertThat(post(embedder, "/v1/embed", new JsonObject().put("inputs", new JsonArray().add(new JsonArray().add(1.5))))
                .statusCode()).isEqualTo(400);
        HttpResponse<Buffer> wrongTask = post(embedder, "/v1/classify", new JsonObject().put("inputs", new JsonArray().add("x")));
        assertThat(wrongTask.statusCode()).isEqualTo(400);
        assertThat(wrongTask.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("wrong_task");
    }

    @Test
    void aClassificationIsExplainedTokenByTokenWithinABudget() throws Exception {
        JsonArray inputs = new JsonArray().add("w1 w2 w3").add("w5");
        HttpResponse<Buffer> explained = post(classifier, "/v1/explain", new JsonObject().put("inputs", inputs).put("steps", 16));
        assertThat(explained.statusCode()).as(explained.bodyAsString()).isEqualTo(200);
        JsonArray classified = post(classifier, "/v1/classify", new JsonObject().put("inputs", inputs)).bodyAsJsonObject()
                .getJsonArray("data");
        JsonArray data = explained.bodyAsJsonObject().getJsonArray("data");
        assertThat(data).hasSize(2);
        JsonObject first = data.getJsonObject(0);
        assertThat(first.getJsonArray("tokens").getList()).containsExactly("[CLS]", "w1", "w2", "w3", "[SEP]");
        assertThat(first.getJsonArray("attributions")).hasSize(5);
        assertThat(first.getInteger("steps")).isEqualTo(16);
        assertThat(first.getInteger("token_count")).isEqualTo(5);
        for (int i = 0; i < 2; i++) {
            JsonObject e = data.getJsonObject(i);
            assertThat(e.getString("label")).isEqualTo(classified.getJsonObject(i).getString("label"));
            assertThat(e.getDouble("score")).isCloseTo(classified.getJsonObject(i).getDouble("score"),
                    org.assertj.core.data.Offset.offset(1e-4));
            assertThat(Math.abs(e.getDouble("gap"))).isLessThan(0.05);
        }
        // Tokens × steps are bounded per request, counted on the real tokens; the schema bounds steps; embedders explain nothing.
        JsonArray many = new JsonArray();
        for (int i = 0; i < 16; i++) {
            many.add("w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18");
        }
        HttpResponse<Buffer> tooLarge = post(classifier, "/v1/explain", new JsonObject().put("inputs", many).put("steps", 256));
        assertThat(tooLarge.statusCode()).isEqualTo(400);
        assertThat(tooLarge.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("explanation_too_large");
        HttpResponse<Buffer> noSteps = post(classifier, "/v1/explain", new JsonObject().put("inputs", inputs).put("steps", 0));
        assertThat(noSteps.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("steps");
        assertThat(post(embedder, "/v1/explain", new JsonObject().put("inputs", inputs)).statusCode()).isEqualTo(400);
    }

    @Test
    void healthTellsWhatTheModelIs() throws Exception {
        JsonObject health = client.get(embedder, "127.0.0.1", "/health").putHeader("authorization", WorkerToken.header(TOKEN))
                .send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
        assertThat(health.getString("task")).isEqualTo("feature-extraction");
        JsonObject info = health.getJsonObject("info");
        assertThat(info.getString("architecture")).isEqualTo("BertModel");
        assertThat(info.getLong("parameters")).isBetween(22_000_000L, 23_000_000L);
        assertThat(info.getString("dtype")).isEqualTo("float32");
        assertThat(info.getInteger("max_length")).isEqualTo(512);
        assertThat(info.getInteger("dimensions")).isEqualTo(384);
        assertThat(info.getString("pooling")).isEqualTo("mean");
        assertThat(health.getLong("rss_bytes")).isPositive();
        JsonObject anonymous = client.get(embedder, "127.0.0.1", "/health").send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
        assertThat(anonymous.fieldNames()).containsExactly("state");
    }

    @Test
    void aSequenceClassifierAnswersWithItsOwnLabelsAndLogits() throws Exception {
        List<String> texts = List.of("w1 w2 w3", "w7", "w10 w11 w12 w13 w14 w15 w16 w17 w18", "w99 unknown w5");
        JsonArray inputs = new JsonArray();
        texts.forEach(inputs::add);
        HttpResponse<Buffer> r = post(classifier, "/v1/classify", new JsonObject().put("inputs", inputs));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(classifierDir.resolve("config.json"))));
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                ModelRuntime runtime = ModelRuntime.load(classifierDir)) {
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, HfWeights.load(classifierDir, manager), manager);
            for (int i = 0; i < texts.size(); i++) {
                Encoded e = ((EncoderRuntime) runtime).tokenizer().encode(texts.get(i), false);
                assertThat(e.ids()[0]).isEqualTo(2); // [CLS]
                float[] logits;
                try (NDManager request = manager.newSubManager()) {
                    logits = encoder.logits(encoder.hiddenStates(request, new long[][] {e.ids()}, null)).toFloatArray();
                }
                double max = Math.max(logits[0], Math.max(logits[1], logits[2]));
                double total = 0;
                for (float l : logits) {
                    total += Math.exp(l - max);
                }
                JsonObject answer = r.bodyAsJsonObject().getJsonArray("data").getJsonObject(i);
                JsonObject scores = answer.getJsonObject("scores");
                assertThat(scores.fieldNames()).containsExactly("label_0", "label_1", "label_2");
                for (int c = 0; c < 3; c++) {
                    assertThat(scores.getDouble("label_" + c)).isCloseTo(Math.exp(logits[c] - max) / total,
                            org.assertj.core.data.Offset.offset(1e-5));
                }
                assertThat(r.bodyAsJsonObject().getJsonArray("tokens").getInteger(i)).isEqualTo(e.ids().length);
                assertThat(answer.fieldNames()).containsExactly("index", "label", "score", "scores");
                assertThat(answer.getInteger("index")).isEqualTo(i);
            }
            encoder.close();
        }
        HttpResponse<Buffer> tooLong = post(classifier, "/v1/classify", new JsonObject()
                .put("inputs", new JsonArray().add("w1 ".repeat(60))));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("62 tokens", "at most 40");
        assertThat(post(classifier, "/v1/classify", new JsonObject().put("inputs", new JsonArray().add("w1 ".repeat(60)))
                .put("truncate", true)).statusCode()).isEqualTo(200);
    }

    /** A process that serves a model in-process (a batch worker) gets what the route answers for the same body. */
    @Test
    void anInProcessCallAnswersWhatTheRouteAnswers() throws Exception {
        JsonObject body = new JsonObject().put("inputs", new JsonArray().add("hello world").add("a second, longer input to batch"))
                .put("truncate", true);
        JsonObject overHttp = post(classifier, "/v1/classify", body).bodyAsJsonObject();
        try (ServedModel model = ServedModel.load(classifierDir, io.lmaas.worker.runtime.ComputeDevice.cpu(), ServedModel.Overrides.NONE,
                io.lmaas.worker.wlm.ServingObserver.NONE)) {
            JsonObject inProcess = ModelCalls.classify((ServedModel.Classifier) model, body).get(60, TimeUnit.SECONDS);
            assertThat(inProcess.getJsonArray("data").size()).isEqualTo(2);
            for (int i = 0; i < 2; i++) {
                JsonObject a = overHttp.getJsonArray("data").getJsonObject(i);
                JsonObject b = inProcess.getJsonArray("data").getJsonObject(i);
                assertThat(b.getString("label")).isEqualTo(a.getString("label"));
                assertThat(inProcess.getJsonArray("tokens").getInteger(i)).isEqualTo(overHttp.getJsonArray("tokens").getInteger(i));
                assertThat(b.getDouble("score")).isCloseTo(a.getDouble("score"), org.assertj.core.data.Offset.offset(1e-6));
            }
            // The same refusal, with the same status, code and field.
            ModelCalls.Refused r = ModelCalls.refusal(org.assertj.core.api.Assertions.catchThrowable(() -> ModelCalls.classify(
                    (ServedModel.Classifier) model, new JsonObject().put("inputs", new JsonArray().add(3))).join()), false);
            JsonObject route = post(classifier, "/v1/classify", new JsonObject().put("inputs", new JsonArray().add(3))).bodyAsJsonObject();
            assertThat(r.toJson().getJsonObject("error").getString("code")).isEqualTo(route.getJsonObject("error").getString("code"));
            assertThat(r.status()).isEqualTo(400);
        }
    }
}
