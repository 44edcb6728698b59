package io.lmaas.gateway.testing;

import io.lmaas.core.secrets.WorkerToken;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a model worker speaking the worker protocol, for gateway tests that need precise
 * control (token counts, latency, concurrency). Classification: label {@code positive} when the input
 * contains "good"; tokens = words. Generation: {@code max_tokens} words "tok", one every {@code delay}.
 * Like the real worker it answers only requests that carry the internal token ({@link #TOKEN}, 401 otherwise),
 * so every gateway test that reaches it proves the gateway sends the token. The real worker is covered by the
 * worker and platform tests.
 */
public final class StandInWorker implements AutoCloseable {
    /** The workers' internal token in gateway tests ({@link Gateways} configures its gateways with it). */
    public static final String TOKEN = "worker-token-for-gateway-tests-0123456789";
    private final Vertx vertx;
    private final HttpServer server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger cancelledStreams = new AtomicInteger();
    private final AtomicInteger streamedTokens = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean overloaded;
    private volatile boolean malformed;
    private volatile Duration tokenDelay = Duration.ofMillis(5);

    private StandInWorker(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    public static StandInWorker start() throws Exception {
        Vertx vertx = Vertx.vertx();
        StandInWorker[] self = new StandInWorker[1];
        HttpServer server = vertx.createHttpServer().requestHandler(req -> {
            if (!WorkerToken.matches(TOKEN, req.getHeader("authorization"))) {
                self[0].refused.incrementAndGet();
                req.response().setStatusCode(401).putHeader("content-type", "application/json").end(new JsonObject()
                        .put("error", new JsonObject().put("message", "internal credential missing or wrong")
                                .put("code", "unauthorized")).encode());
                return;
            }
            req.body().onSuccess(body -> answer(self[0], vertx, req, body));
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        self[0] = new StandInWorker(vertx, server);
        return self[0];
    }

    private static void answer(StandInWorker w, Vertx vertx, io.vertx.core.http.HttpServerRequest req,
            io.vertx.core.buffer.Buffer body) {
        w.calls.incrementAndGet();
        int now = w.inFlight.incrementAndGet();
        w.maxInFlight.accumulateAndGet(now, Math::max);
        JsonObject in = body.toJsonObject();
        if (w.overloaded) {
            w.inFlight.decrementAndGet();
            req.response().setStatusCode(503).putHeader("content-type", "application/json").end(new JsonObject().put("error",
                    new JsonObject().put("code", "model_overloaded").put("message", "queue full")).encode());
            return;
        }
        if (w.malformed) {
            w.inFlight.decrementAndGet();
            req.response().setStatusCode(200).putHeader("content-type", "application/json").end("{\"tokens\":[1],\"data\":[{\"label\"");
            return;
        }
        if (Boolean.TRUE.equals(in.getValue("stream"))) {
            w.stream(req.response(), in);
            return;
        }
        JsonObject out;
        if (req.path().equals("/v1/classify")) {
            // The worker's shape: the client's items as they are, and what each input cost.
            JsonArray data = new JsonArray();
            JsonArray tokens = new JsonArray();
            for (Object o : in.getJsonArray("inputs")) {
                String text = (String) o;
                String label = text.contains("good") ? "positive" : "negative";
                data.add(new JsonObject().put("index", data.size()).put("label", label).put("score", 0.9)
                        .put("scores", new JsonObject().put(label, 0.9)
                                .put(label.equals("positive") ? "negative" : "positive", 0.1)));
                tokens.add(text.trim().split("\\s+").length);
            }
            out = new JsonObject().put("tokens", tokens).put("data", data);
        } else if (req.path().equals("/v1/embed")) {
            // A stand-in embedding: [characters or ids, words, 1], floats or base64 as asked; tokens = words (or ids).
            JsonArray data = new JsonArray();
            JsonArray tokens = new JsonArray();
            boolean base64 = "base64".equals(in.getString("encoding_format"));
            for (Object o : in.getJsonArray("inputs")) {
                int length = o instanceof String s ? s.length() : ((JsonArray) o).size();
                int words = o instanceof String s ? s.trim().split("\\s+").length : ((JsonArray) o).size();
                float[] v = {length, words, 1f};
                Object embedding;
                if (base64) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(v);
                    embedding = java.util.Base64.getEncoder().encodeToString(b.array());
                } else {
                    embedding = new JsonArray().add(v[0]).add(v[1]).add(v[2]);
                }
                data.add(new JsonObject().put("object", "embedding").put("index", data.size()).put("embedding", embedding));
                tokens.add(words);
            }
            out = new JsonObject().put("tokens", tokens).put("data", data);
        } else {
            int n = in.getInteger("max_tokens", 16);
            out = new JsonObject().put("text", " tok".repeat(n)).put("finish_reason", "length")
                    .put("prompt_tokens", in.getString("prompt", "").trim().isEmpty() ? 0
                            : in.getString("prompt").trim().split("\\s+").length)
                    .put("completion_tokens", n);
        }
        long ms = w.delay.toMillis();
        Runnable reply = () -> {
            w.inFlight.decrementAndGet();
            req.response().putHeader("content-type", "application/json").end(out.encode());
        };
        if (ms > 0) {
            vertx.setTimer(ms, t -> reply.run());
        } else {
            reply.run();
        }
    }

    /** NDJSON like the real worker: prompt tokens, one " tok" per token every {@code tokenDelay}, then done. */
    private void stream(io.vertx.core.http.HttpServerResponse resp, JsonObject in) {
        int n = in.getInteger("max_tokens", 16);
        int prompt = in.getString("prompt", "").trim().isEmpty() ? 0 : in.getString("prompt").trim().split("\\s+").length;
        resp.setChunked(true).putHeader("content-type", "application/x-ndjson");
        resp.write(new JsonObject().put("prompt_tokens", prompt).encode() + "\n");
        int[] sent = new int[1];
        long period = Math.max(1, tokenDelay.toMillis());
        boolean[] closed = new boolean[1];
        resp.closeHandler(v -> {
            closed[0] = true;
            cancelledStreams.incrementAndGet();
            inFlight.decrementAndGet();
        });
        vertx.setPeriodic(period, id -> {
            if (closed[0]) {
                vertx.cancelTimer(id);
                return;
            }
            if (sent[0] < n) {
                sent[0]++;
                streamedTokens.incrementAndGet();
                resp.write(new JsonObject().put("text", " tok").put("tokens", 1).encode() + "\n");
                return;
            }
            vertx.cancelTimer(id);
            inFlight.decrementAndGet();
            resp.end(new JsonObject().put("done", true).put("finish_reason", "length").put("prompt_tokens", prompt)
                    .put("completion_tokens", n).encode() + "\n");
        });
    }

    public void tokenDelay(Duration d) {
        this.tokenDelay = d;
    }

    public int cancelledStreams() {
        return cancelledStreams.get();
    }

    public int streamedTokens() {
        return streamedTokens.get();
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public void delay(Duration d) {
        this.delay = d;
    }

    /** Answers every request 503 model_overloaded (a full queue) while set. */
    public void overloaded(boolean on) {
        this.overloaded = on;
    }

    /** Answers 200 with a body cut short (a worker that breaks its protocol). */
    public void malformed(boolean on) {
        this.malformed = on;
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    public void resetMaxInFlight() {
        maxInFlight.set(inFlight.get());
    }

    public int calls() {
        return calls.get();
    }

    /** Requests refused for want of the internal token. */
    public int refused() {
        return refused.get();
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
