package io.lmaas.worker.serve;

import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's internal HTTP API (gateway → worker). Listens at once, loads the model in the
 * background, reports {@code loading → ready | failed} on {@code GET /health}.
 *
 * <ul>
 *   <li>{@code POST /v1/classify {"inputs":[...]}} → {@code {"data":[{label,score,scores,tokens}]}}
 *   <li>{@code POST /v1/generate {"prompt","max_tokens","temperature","seed"}} →
 *       {@code {text, finish_reason, prompt_tokens, completion_tokens}}
 * </ul>
 * Errors: {@code {"error":{"message","code"}}} with 400, 503 ({@code model_not_ready},
 * {@code model_overloaded}) or 500.
 */
public final class WorkerVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);

    private final WorkerConfig config;
    private final InferencePool pool;
    private volatile ModelState state = ModelState.LOADING;
    private volatile String failure;
    private volatile ModelRuntime runtime;
    private HttpServer server;

    public WorkerVerticle(WorkerConfig config) {
        this.config = config;
        this.pool = new InferencePool(config.threads(), config.queueCapacity());
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/health").handler(this::health);
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
                .onSuccess(v -> loadModel());
    }

    public int port() {
        return server.actualPort();
    }

    public ModelState state() {
        return state;
    }

    private void loadModel() {
        vertx.executeBlocking(() -> ModelRuntime.load(config.modelDir()), false)
                .onSuccess(r -> {
                    runtime = r;
                    state = ModelState.READY;
                    LOG.info("model {} ready ({})", config.modelId(), r.properties().task());
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
        JsonObject body = new JsonObject().put("state", state.name().toLowerCase()).put("model", config.modelId())
                .put("queue_depth", pool.queueDepth());
        ModelRuntime r = runtime;
        if (r != null) {
            body.put("task", r.properties().task());
        }
        if (failure != null) {
            body.put("message", failure);
        }
        ctx.response().setStatusCode(state == ModelState.READY ? 200 : 503)
                .putHeader("content-type", "application/json").end(body.encode());
    }

    private void classify(RoutingContext ctx) {
        if (!(ready(ctx) instanceof ClassifierRuntime classifier)) {
            if (runtime != null) {
                error(ctx, 400, "wrong_task", "this worker serves " + runtime.properties().task());
            }
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
        } catch (DecodeException | ClassCastException e) {
            error(ctx, 400, "invalid_json", "request body must be a JSON object");
            return;
        }
        respond(ctx, pool.submit(() -> classifier.classify(inputs)), results -> {
            JsonArray data = new JsonArray();
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
        if (!(ready(ctx) instanceof GeneratorRuntime generator)) {
            if (runtime != null) {
                error(ctx, 400, "wrong_task", "this worker serves " + runtime.properties().task());
            }
            return;
        }
        GenerationRequest request;
        boolean streamed;
        try {
            JsonObject body = ctx.body().asJsonObject();
            if (body == null) {
                error(ctx, 400, "invalid_json", "request body must be a JSON object");
                return;
            }
            request = new GenerationRequest(body.getString("prompt", ""), body.getInteger("max_tokens", 16),
                    body.getDouble("temperature", 1.0), body.getLong("seed", System.nanoTime()));
            streamed = Boolean.TRUE.equals(body.getValue("stream"));
        } catch (DecodeException | ClassCastException e) {
            error(ctx, 400, "invalid_json", "request body must be a JSON object with typed fields");
            return;
        } catch (IllegalArgumentException e) {
            error(ctx, 400, "invalid_request", e.getMessage());
            return;
        }
        if (streamed) {
            stream(ctx, generator, request);
            return;
        }
        respond(ctx, pool.submit(() -> generator.generate(request)), (Generation g) -> new JsonObject()
                .put("text", g.text()).put("finish_reason", g.finishReason())
                .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens()));
    }

    /**
     * Streams a generation as NDJSON: {@code {"prompt_tokens":n}} first, then {@code {"text","tokens"}} per
     * piece, then {@code {"done":true,"finish_reason","prompt_tokens","completion_tokens"}} (or
     * {@code {"error":{...}}}). A client that goes away cancels the generation at its next step.
     */
    private void stream(RoutingContext ctx, GeneratorRuntime generator, GenerationRequest request) {
        HttpServerResponse response = ctx.response().setChunked(true).putHeader("content-type", "application/x-ndjson");
        AtomicBoolean gone = new AtomicBoolean();
        response.closeHandler(v -> gone.set(true));
        Context context = vertx.getOrCreateContext();
        java.util.function.Consumer<JsonObject> send = line -> context.runOnContext(v -> {
            if (!gone.get() && !response.ended()) {
                response.write(line.encode() + "\n");
            }
        });
        GeneratorRuntime.Listener listener = new GeneratorRuntime.Listener() {
            @Override
            public void started(int promptTokens) {
                send.accept(new JsonObject().put("prompt_tokens", promptTokens));
            }

            @Override
            public void delta(String text, int tokens) {
                send.accept(new JsonObject().put("text", text).put("tokens", tokens));
            }
        };
        CompletableFuture<Generation> work = pool.submit(() -> generator.generate(request, listener, gone::get));
        Future.fromCompletionStage(work, context).onComplete(ar -> {
            if (gone.get() || response.ended()) {
                return;
            }
            if (ar.succeeded()) {
                Generation g = ar.result();
                response.end(new JsonObject().put("done", true).put("finish_reason", g.finishReason())
                        .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens()).encode() + "\n");
            } else {
                Throwable e = ar.cause() instanceof CompletionException && ar.cause().getCause() != null
                        ? ar.cause().getCause() : ar.cause();
                String code = e instanceof CapacityException ? "model_overloaded"
                        : e instanceof IllegalArgumentException ? "invalid_request" : "inference_failed";
                if (!(e instanceof CapacityException) && !(e instanceof IllegalArgumentException)) {
                    LOG.error("streamed inference failed", e);
                }
                if (!response.headWritten() && e instanceof CapacityException) {
                    response.setStatusCode(503).putHeader("retry-after", "1");
                } else if (!response.headWritten() && e instanceof IllegalArgumentException) {
                    response.setStatusCode(400);
                }
                response.end(new JsonObject().put("error", new JsonObject().put("code", code)
                        .put("message", e.getMessage() == null ? code : e.getMessage())).encode() + "\n");
            }
        });
    }

    /** The runtime if ready; otherwise answers 503 and returns null. */
    private ModelRuntime ready(RoutingContext ctx) {
        if (state != ModelState.READY) {
            error(ctx, 503, "model_not_ready", "model " + config.modelId() + " is " + state.name().toLowerCase());
            return null;
        }
        return runtime;
    }

    private <T> void respond(RoutingContext ctx, CompletableFuture<T> work, java.util.function.Function<T, JsonObject> render) {
        Future.fromCompletionStage(work, vertx.getOrCreateContext()).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("content-type", "application/json").end(render.apply(ar.result()).encode());
                return;
            }
            Throwable e = ar.cause() instanceof CompletionException && ar.cause().getCause() != null
                    ? ar.cause().getCause() : ar.cause();
            if (e instanceof CapacityException) {
                ctx.response().putHeader("retry-after", "1");
                error(ctx, 503, "model_overloaded", e.getMessage());
            } else if (e instanceof IllegalArgumentException) {
                error(ctx, 400, "invalid_request", e.getMessage());
            } else {
                LOG.error("inference failed", e);
                error(ctx, 500, "inference_failed", "inference failed: " + e.getClass().getSimpleName());
            }
        });
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("message", message).put("code", code)).encode());
    }

    @Override
    public Future<?> stop() {
        pool.close();
        ModelRuntime r = runtime;
        if (r != null) {
            r.close();
        }
        return Future.succeededFuture();
    }
}
