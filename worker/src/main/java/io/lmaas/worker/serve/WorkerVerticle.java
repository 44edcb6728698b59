package io.lmaas.worker.serve;

import io.lmaas.core.logging.RequestLog;
import io.lmaas.worker.modeldir.ChatTemplate;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.wlm.CapacityException;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's internal HTTP API (gateway → worker) over the serving core ({@link ServedModel}). Listens
 * at once; loads the model and runs a warm-up inference before reporting {@code ready} on
 * {@code GET /health}; drains on stop.
 *
 * <ul>
 *   <li>{@code POST /v1/classify {"inputs":[...]}} → {@code {"data":[{label,score,scores,tokens}]}}
 *   <li>{@code POST /v1/generate {"prompt" | "messages", "max_tokens", "temperature", "top_p", "top_k",
 *       "stop", "seed", "stream"}} → {@code {text, finish_reason, prompt_tokens, completion_tokens}}, or
 *       NDJSON when streamed
 *   <li>{@code GET /metrics}: Prometheus text
 * </ul>
 * Every route but {@code GET /health} requires the internal token ({@link InternalAuth}: 401 without it);
 * {@code /health} answers anyone with the state only, and adds the model, task, queue depth and failure to a
 * caller with the token.
 * Errors: {@code {"error":{"message","code"}}} with 400, 401, 503 ({@code model_not_ready} while loading or
 * draining, {@code model_overloaded} with {@code Retry-After} when the queue is full) or 500.
 */
public final class WorkerVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);

    private final WorkerConfig config;
    private final WorkerMetrics metrics;
    private final InternalAuth auth;
    private volatile ModelState state = ModelState.LOADING;
    private volatile String failure;
    private volatile ServedModel served;
    private HttpServer server;

    public WorkerVerticle(WorkerConfig config) {
        this.config = config;
        this.metrics = new WorkerMetrics(config.modelId());
        this.auth = new InternalAuth(config.token());
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/health").handler(this::health);
        router.route("/v1/*").handler(this::logWhenDone);
        router.route().handler(auth);
        router.get("/metrics").handler(ctx -> {
            ServedModel s = served;
            if (s != null) {
                metrics.queueDepth(s.queueDepth());
            }
            ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape());
        });
        router.post().handler(BodyHandler.create().setBodyLimit(8 * 1024 * 1024));
        router.post("/v1/classify").handler(this::classify);
        router.post("/v1/generate").handler(this::generate);
        router.route().last().handler(ctx -> error(ctx, 404, "not_found", "no such route"));
        return vertx.createHttpServer()
                .requestHandler(router)
                .listen(config.port(), config.host())
                .compose(s -> {
                    server = s;
                    LOG.info("worker for {} listening on {}:{}", config.modelId(), config.host(), s.actualPort());
                    return vertx.executeBlocking(() -> {
                        writePortFile(s.actualPort());
                        return null;
                    });
                })
                .onSuccess(v -> load());
    }

    public int port() {
        return server.actualPort();
    }

    public ModelState state() {
        return state;
    }

    /** Loads the model and runs one warm-up inference; only then is the worker ready. */
    private void load() {
        vertx.executeBlocking(() -> {
                    ServedModel s = ServedModel.load(config.modelDir(), config.batching(), metrics);
                    try {
                        s.warmUp();
                    } catch (Exception e) {
                        s.close();
                        throw e;
                    }
                    return s;
                }, false)
                .onSuccess(s -> {
                    served = s;
                    state = ModelState.READY;
                    LOG.info("model {} ready ({}, warmed up)", config.modelId(), s.runtime().properties().task());
                })
                .onFailure(e -> {
                    failure = e.getMessage();
                    state = ModelState.FAILED;
                    LOG.error("model {} failed to load: {}", config.modelId(), e.getMessage());
                });
    }

    private void writePortFile(int port) throws IOException {
        if (config.portFile() == null) {
            return;
        }
        Path tmp = config.portFile().resolveSibling(config.portFile().getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(port), StandardCharsets.UTF_8);
        Files.move(tmp, config.portFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void health(RoutingContext ctx) {
        JsonObject body = new JsonObject().put("state", state.name().toLowerCase());
        ServedModel s = served;
        if (auth.accepts(ctx.request())) {
            body.put("model", config.modelId());
            if (s != null) {
                body.put("task", s.runtime().properties().task()).put("queue_depth", s.queueDepth());
            }
            if (failure != null) {
                body.put("message", failure);
            }
        }
        ctx.response().setStatusCode(state == ModelState.READY ? 200 : 503)
                .putHeader("content-type", "application/json").end(body.encode());
    }

    private void classify(RoutingContext ctx) {
        if (!(ready(ctx, "text-classification") instanceof ServedModel.Classifier classifier)) {
            return;
        }
        List<String> inputs = new ArrayList<>();
        try {
            JsonArray array = ctx.body().asJsonObject().getJsonArray("inputs");
            if (array == null || array.isEmpty()) {
                error(ctx, 400, "invalid_request", "'inputs' must be a non-empty array of strings");
                return;
            }
            for (Object o : array) {
                if (!(o instanceof String text)) {
                    error(ctx, 400, "invalid_request", "'inputs' must hold strings only");
                    return;
                }
                inputs.add(text);
            }
        } catch (DecodeException | ClassCastException | NullPointerException e) {
            error(ctx, 400, "invalid_json", "request body must be a JSON object");
            return;
        }
        respond(ctx, classifier.batcher().submit(inputs), results -> {
            JsonArray data = new JsonArray();
            logFields(ctx).put("inputs", results.size());
            logFields(ctx).put("tokens", results.stream().mapToInt(Classification::tokens).sum());
            for (Classification c : results) {
                JsonObject scores = new JsonObject();
                c.scores().forEach(scores::put);
                data.add(new JsonObject().put("label", c.label()).put("score", c.score()).put("scores", scores)
                        .put("tokens", c.tokens()));
            }
            return new JsonObject().put("data", data);
        });
    }

    private void generate(RoutingContext ctx) {
        if (!(ready(ctx, "text-generation") instanceof ServedModel.Generator generator)) {
            return;
        }
        GenerationRequest request;
        boolean streamed;
        try {
            JsonObject body = ctx.body().asJsonObject();
            String prompt = prompt(body, generator);
            request = new GenerationRequest(prompt, body.getInteger("max_tokens", 16), body.getDouble("temperature", 1.0),
                    body.getDouble("top_p", 1.0), body.getInteger("top_k", 0), strings(body.getValue("stop")),
                    body.getLong("seed", ThreadLocalRandom.current().nextLong()));
            streamed = Boolean.TRUE.equals(body.getValue("stream"));
        } catch (DecodeException | ClassCastException | NullPointerException e) {
            error(ctx, 400, "invalid_json", "request body must be a JSON object with typed fields");
            return;
        } catch (IllegalArgumentException e) {
            error(ctx, 400, "invalid_request", e.getMessage());
            return;
        }
        if (streamed) {
            stream(ctx, generator.engine(), request);
            return;
        }
        AtomicBoolean gone = new AtomicBoolean();
        ctx.response().closeHandler(v -> gone.set(true));
        respond(ctx, generator.engine().submit(request, GenerationEngine.Listener.NONE, gone::get), (Generation g) -> {
            logGeneration(ctx, g);
            return new JsonObject().put("text", g.text()).put("finish_reason", g.finishReason())
                    .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens());
        });
    }

    /** The prompt, or chat messages rendered with the version's chat template. */
    private static String prompt(JsonObject body, ServedModel.Generator generator) {
        JsonArray messages = body.getJsonArray("messages");
        if (messages == null) {
            return body.getString("prompt", "");
        }
        ChatTemplate template = generator.runtime().properties().chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException("this model declares no chat template"));
        List<ChatTemplate.Message> list = new ArrayList<>();
        for (Object o : messages) {
            JsonObject m = (JsonObject) o;
            list.add(new ChatTemplate.Message(m.getString("role"), m.getString("content", "")));
        }
        return template.render(list);
    }

    private static List<String> strings(Object raw) {
        if (raw == null) {
            return List.of();
        }
        if (raw instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        for (Object o : (JsonArray) raw) {
            out.add((String) o);
        }
        return out;
    }

    /**
     * Streams a generation as NDJSON: {@code {"prompt_tokens":n}} first, then {@code {"text","tokens"}} per
     * piece, then {@code {"done":true,"finish_reason","prompt_tokens","completion_tokens"}} (or
     * {@code {"error":{...}}}). A client that goes away cancels the generation at its next step.
     */
    private void stream(RoutingContext ctx, GenerationEngine engine, GenerationRequest request) {
        HttpServerResponse response = ctx.response().setChunked(true).putHeader("content-type", "application/x-ndjson");
        AtomicBoolean gone = new AtomicBoolean();
        response.closeHandler(v -> gone.set(true));
        Context context = vertx.getOrCreateContext();
        java.util.function.Consumer<JsonObject> send = line -> context.runOnContext(v -> {
            if (!gone.get() && !response.ended()) {
                response.write(line.encode() + "\n");
            }
        });
        GenerationEngine.Listener listener = new GenerationEngine.Listener() {
            @Override
            public void started(int promptTokens) {
                send.accept(new JsonObject().put("prompt_tokens", promptTokens));
            }

            @Override
            public void delta(String text, int tokens) {
                send.accept(new JsonObject().put("text", text).put("tokens", tokens));
            }
        };
        Future.fromCompletionStage(engine.submit(request, listener, gone::get), context).onComplete(ar -> {
            if (gone.get() || response.ended()) {
                return;
            }
            if (ar.succeeded()) {
                Generation g = ar.result();
                logGeneration(ctx, g);
                response.end(new JsonObject().put("done", true).put("finish_reason", g.finishReason())
                        .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens()).encode() + "\n");
                return;
            }
            Throwable e = unwrap(ar.cause());
            if (!response.headWritten() && e instanceof CapacityException) {
                response.setStatusCode(503).putHeader("retry-after", "1");
            } else if (!response.headWritten() && e instanceof IllegalArgumentException) {
                response.setStatusCode(400);
            }
            response.end(new JsonObject().put("error", new JsonObject().put("code", code(e))
                    .put("message", e.getMessage() == null ? code(e) : e.getMessage())).encode() + "\n");
        });
    }

    /** Writes one structured request line (docs: {@link RequestLog}) when the response has ended. */
    private void logWhenDone(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("model", config.modelId());
            fields.putAll(logFields(ctx));
            String id = ctx.request().getHeader("x-request-id");
            RequestLog.finished(id == null ? "-" : id, ctx.request().method().name(), ctx.request().path(),
                    ctx.response().getStatusCode(), System.nanoTime() - start, fields);
        });
        ctx.next();
    }

    private static Map<String, Object> logFields(RoutingContext ctx) {
        Map<String, Object> fields = ctx.get("log.fields");
        if (fields == null) {
            fields = new LinkedHashMap<>();
            ctx.put("log.fields", fields);
        }
        return fields;
    }

    private static void logGeneration(RoutingContext ctx, Generation g) {
        Map<String, Object> fields = logFields(ctx);
        fields.put("prompt_tokens", g.promptTokens());
        fields.put("completion_tokens", g.completionTokens());
        fields.put("finish_reason", g.finishReason());
    }

    /** The served model if ready for this task; otherwise answers (503 not ready, 400 wrong task) and returns null. */
    private ServedModel ready(RoutingContext ctx, String task) {
        ServedModel s = served;
        if (state != ModelState.READY || s == null) {
            error(ctx, 503, "model_not_ready", "model " + config.modelId() + " is " + state.name().toLowerCase());
            return null;
        }
        if (!s.runtime().properties().task().equals(task)) {
            error(ctx, 400, "wrong_task", "this worker serves " + s.runtime().properties().task());
            return null;
        }
        return s;
    }

    private <T> void respond(RoutingContext ctx, CompletableFuture<T> work, Function<T, JsonObject> render) {
        Future.fromCompletionStage(work, vertx.getOrCreateContext()).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("content-type", "application/json").end(render.apply(ar.result()).encode());
                return;
            }
            Throwable e = unwrap(ar.cause());
            if (e instanceof CapacityException) {
                ctx.response().putHeader("retry-after", "1");
                error(ctx, 503, code(e), e.getMessage());
            } else if (e instanceof IllegalArgumentException) {
                error(ctx, 400, "invalid_request", e.getMessage());
            } else {
                LOG.error("[{}] inference failed", ctx.request().getHeader("x-request-id"), e);
                error(ctx, 500, "inference_failed", "inference failed: " + e.getClass().getSimpleName());
            }
        });
    }

    private String code(Throwable e) {
        if (e instanceof CapacityException) {
            return state == ModelState.DRAINING ? "model_not_ready" : "model_overloaded";
        }
        return e instanceof IllegalArgumentException ? "invalid_request" : "inference_failed";
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("message", message).put("code", code)).encode());
    }

    /** Drain: report draining (the scheduler stops routing here), finish running work (bounded), then close. */
    @Override
    public Future<?> stop() {
        ServedModel s = served;
        state = ModelState.DRAINING;
        if (s == null) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            boolean drained = s.drain(config.drainTimeout());
            LOG.info("model {} {} drained", config.modelId(), drained ? "fully" : "partly (timeout)");
            s.close();
            return null;
        });
    }
}
