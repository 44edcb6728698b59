package io.lmaas.worker.serve;

import io.lmaas.core.logging.RequestLog;
import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.ComputeDevice;
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
import java.util.concurrent.TimeUnit;
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
 *   <li>{@code POST /v1/classify}, {@code POST /v1/embed}: {@link EncoderRoutes}
 *   <li>{@code POST /v1/generate}: {@link GenerationRoutes}
 *   <li>{@code GET /metrics}: Prometheus text
 * </ul>
 * Every route but {@code GET /health} requires the internal token ({@link InternalAuth}: 401 without it);
 * {@code /health} answers anyone with the state only, and adds the model, task, queue depth, what the model is
 * (architecture, parameters, dtype, max length, weight memory), the process's resident memory and any failure to a
 * caller with the token. Errors: {@link Replies}.
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

    private Router router;
    private io.vertx.core.WorkerExecutor explanations;

    public WorkerVerticle(WorkerConfig config) {
        this.config = config;
        this.metrics = new WorkerMetrics(config.modelId());
        this.auth = new InternalAuth(config.token());
    }

    /** The routes this worker serves (its API document is checked against them). */
    Router router() {
        return router;
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
        Replies replies = new Replies(vertx, () -> state == ModelState.DRAINING);
        EncoderRoutes encoders = new EncoderRoutes(this::ready, replies, config.adaptersRoot());
        // Each body is checked against the worker's API document first (WorkerApi), then by the route.
        router.post("/v1/classify").handler(WorkerApi.body("classify")).handler(encoders::classify);
        router.post("/v1/embed").handler(WorkerApi.body("embed")).handler(encoders::embed);
        explanations = vertx.createSharedWorkerExecutor("lmaas-explanations-" + config.modelId(), 1, 10, TimeUnit.MINUTES);
        router.post("/v1/explain").handler(WorkerApi.body("explain"))
                .handler(new ExplanationRoutes(this::ready, replies, explanations)::explain);
        router.post("/v1/generate").handler(WorkerApi.body("generate"))
                .handler(new GenerationRoutes(vertx, this::ready, replies, config.adaptersRoot())::generate);
        router.route().last().handler(ctx -> Replies.error(ctx, 404, "not_found", "no such route"));
        this.router = router;
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
                    ComputeDevice device = ComputeDevice.select(config.device());
                    ServedModel s = ServedModel.load(config.modelDir(), device, config.batching(), metrics);
                    metrics.device(device);
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
                    LOG.info("model {} ready ({} on {}, warmed up)", config.modelId(), s.runtime().task(),
                            s.runtime().describe().getString("device"));
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
                body.put("task", s.runtime().task()).put("queue_depth", s.queueDepth()).put("info", s.runtime().describe());
                if (s instanceof ServedModel.Generator g && g.runtime().adapters() != null) {
                    // Which adapters the worker holds (least recently used first): the gateway prefers replicas that hold one.
                    body.put("adapters", new io.vertx.core.json.JsonArray(g.engine().residentAdapters()))
                            .put("pinned_adapters", new io.vertx.core.json.JsonArray(g.engine().pinnedAdapters()))
                            .put("max_adapters", g.runtime().adapters().capacity());
                } else if (s.adapted() != null) {
                    body.put("adapters", new io.vertx.core.json.JsonArray(s.adapted().resident()))
                            .put("pinned_adapters", new io.vertx.core.json.JsonArray(s.adapted().pinned()))
                            .put("max_adapters", s.adapted().capacity());
                }
            }
            long rss = ResidentMemory.bytes();
            if (rss > 0) {
                body.put("rss_bytes", rss);
            }
            if (failure != null) {
                body.put("message", failure);
            }
        }
        ctx.response().setStatusCode(state == ModelState.READY ? 200 : 503)
                .putHeader("content-type", "application/json").end(body.encode());
    }

    /** Writes one structured request line (docs: {@link RequestLog}) when the response has ended. */
    private void logWhenDone(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("model", config.modelId());
            fields.putAll(LogFields.of(ctx));
            String id = ctx.request().getHeader("x-request-id");
            RequestLog.finished(id == null ? "-" : id, ctx.request().method().name(), ctx.request().path(),
                    ctx.response().getStatusCode(), System.nanoTime() - start, fields);
        });
        ctx.next();
    }

    /** The served model if ready for this task; otherwise answers (503 not ready, 400 wrong task) and returns null. */
    private ServedModel ready(RoutingContext ctx, String task) {
        ServedModel s = served;
        if (state != ModelState.READY || s == null) {
            Replies.error(ctx, 503, "model_not_ready", "model " + config.modelId() + " is " + state.name().toLowerCase());
            return null;
        }
        if (task != null && !s.runtime().task().equals(task)) {
            Replies.error(ctx, 400, "wrong_task", "this worker serves " + s.runtime().task());
            return null;
        }
        return s;
    }

    /** Drain: report draining (the scheduler stops routing here), finish running work (bounded), then close. */
    @Override
    public Future<?> stop() {
        ServedModel s = served;
        state = ModelState.DRAINING;
        if (explanations != null) {
            explanations.close();
        }
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
