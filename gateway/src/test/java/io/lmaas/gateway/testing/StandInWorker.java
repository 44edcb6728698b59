package io.lmaas.gateway.testing;

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
 * The real worker is covered by the worker and platform tests.
 */
public final class StandInWorker implements AutoCloseable {
    private final Vertx vertx;
    private final HttpServer server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;

    private StandInWorker(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    public static StandInWorker start() throws Exception {
        Vertx vertx = Vertx.vertx();
        StandInWorker[] self = new StandInWorker[1];
        HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            StandInWorker w = self[0];
            w.calls.incrementAndGet();
            int now = w.inFlight.incrementAndGet();
            w.maxInFlight.accumulateAndGet(now, Math::max);
            JsonObject in = body.toJsonObject();
            JsonObject out;
            if (req.path().equals("/v1/classify")) {
                JsonArray data = new JsonArray();
                for (Object o : in.getJsonArray("inputs")) {
                    String text = (String) o;
                    String label = text.contains("good") ? "positive" : "negative";
                    data.add(new JsonObject().put("label", label).put("score", 0.9)
                            .put("scores", new JsonObject().put(label, 0.9)
                                    .put(label.equals("positive") ? "negative" : "positive", 0.1))
                            .put("tokens", text.trim().split("\\s+").length));
                }
                out = new JsonObject().put("data", data);
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
        })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        self[0] = new StandInWorker(vertx, server);
        return self[0];
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public void delay(Duration d) {
        this.delay = d;
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

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
