package io.lmaas.gateway.inference;

import io.lmaas.core.deployments.ReadyEndpoint;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gateway → worker calls over HTTP with fail-over: a worker that cannot be reached or is not ready is
 * skipped for the next candidate; when none answers, the model is not ready (503 with Retry-After). Every
 * call, streamed or not, carries the workers' internal token ({@code Authorization: Bearer}); a client
 * without one cannot be built.
 */
public final class WorkerClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerClient.class);
    private final HttpClient http;
    private final HttpClient streaming;
    private final Duration timeout;
    private final String authorization;
    /** Requests this gateway has sent to each worker (by URL) and not yet had answered: routing prefers the least busy. */
    private final ConcurrentHashMap<String, AtomicInteger> inFlight =
            new ConcurrentHashMap<>();

    public WorkerClient(Vertx vertx, Duration timeout, String workerToken) {
        this.authorization = WorkerToken.header(WorkerToken.requireValid(workerToken));
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(64));
        this.streaming = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setKeepAlive(true)
                .setIdleTimeout((int) Math.max(1, timeout.toSeconds())), new PoolOptions().setHttp1MaxSize(64));
        this.timeout = timeout;
    }

    /** Hears a streamed generation from a worker. Called on the gateway's event loop. */
    public interface StreamHandler {
        void started(int promptTokens);

        void delta(String text, int tokens);

        void finished(String finishReason, int promptTokens, int completionTokens);

        /** The stream broke after it started (worker died, or reported an error mid-way). */
        void broken(String code, String message);
    }

    /** A stream in progress; {@link #cancel()} stops the worker's generation (the client went away). */
    public static final class StreamCall {
        private volatile HttpClientRequest request;
        private volatile boolean cancelled;

        public void cancel() {
            cancelled = true;
            HttpClientRequest r = request;
            if (r != null) {
                r.reset();
            }
        }
    }

    /**
     * Starts a streamed call on the first candidate that takes it (fail-over only before the stream
     * begins). The future fails with the client's error if no replica could start the stream; once it
     * succeeds the handler hears the rest.
     */
    Future<StreamCall> stream(String modelId, List<ReadyEndpoint> candidates, String path, JsonObject body, String requestId,
            StreamHandler handler) {
        StreamCall call = new StreamCall();
        return streamAttempt(modelId, candidates, 0, path, body, requestId, handler, call, false);
    }

    private Future<StreamCall> streamAttempt(String modelId, List<ReadyEndpoint> candidates, int i, String path, JsonObject body,
            String requestId, StreamHandler handler, StreamCall call, boolean retriedOverload) {
        if (i >= candidates.size()) {
            return Future.failedFuture(notReady(modelId));
        }
        Runnable done = track(candidates.get(i).url());
        return streaming.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(candidates.get(i).url() + path)
                        .putHeader("x-request-id", requestId).putHeader("authorization", authorization))
                .compose(req -> {
                    call.request = req;
                    if (call.cancelled) {
                        req.reset();
                    }
                    return req.putHeader("content-type", "application/json").send(body.toBuffer());
                })
                .transform(ar -> {
                    if (ar.failed()) {
                        done.run();
                        return call.cancelled ? Future.failedFuture(ar.cause())
                                : streamAttempt(modelId, candidates, i + 1, path, body, requestId, handler, call, retriedOverload);
                    }
                    HttpClientResponse resp = ar.result();
                    if (resp.statusCode() != 200) {
                        done.run();
                        return resp.body().transform(b -> {
                            JsonObject json = parse(b.succeeded() ? b.result().toString() : null);
                            JsonObject error = json == null ? new JsonObject() : json.getJsonObject("error", new JsonObject());
                            String code = error.getString("code");
                            if (passesOn(resp.statusCode(), code, retriedOverload, i + 1 < candidates.size())) {
                                return streamAttempt(modelId, candidates, i + 1, path, body, requestId, handler, call,
                                        retriedOverload || "model_overloaded".equals(code));
                            }
                            return Future.failedFuture(map(modelId, resp.statusCode(), error));
                        });
                    }
                    pipe(resp, handler, done);
                    return Future.succeededFuture(call);
                });
    }

    /** Reads NDJSON lines from the worker into the handler; {@code release} runs when the worker's answer ends or breaks. */
    private static void pipe(HttpClientResponse resp, StreamHandler handler, Runnable release) {
        boolean[] ended = new boolean[1];
        RecordParser lines = RecordParser.newDelimited("\n", line -> {
            if (ended[0] || line.length() == 0) {
                return;
            }
            JsonObject json = parse(line.toString());
            if (json == null) {
                ended[0] = true;
                handler.broken("worker_error", "the model worker sent an unreadable stream");
            } else if (json.containsKey("error")) {
                ended[0] = true;
                JsonObject e = json.getJsonObject("error");
                handler.broken(e.getString("code", "worker_error"), e.getString("message", "generation failed"));
            } else if (json.getBoolean("done", false)) {
                ended[0] = true;
                handler.finished(json.getString("finish_reason"), json.getInteger("prompt_tokens", 0),
                        json.getInteger("completion_tokens", 0));
            } else if (json.containsKey("text")) {
                handler.delta(json.getString("text"), json.getInteger("tokens", 0));
            } else if (json.containsKey("prompt_tokens")) {
                handler.started(json.getInteger("prompt_tokens"));
            }
        });
        resp.handler(lines);
        Runnable cut = () -> {
            release.run();
            if (!ended[0]) {
                ended[0] = true;
                handler.broken("worker_error", "the model worker stopped in the middle of the answer");
            }
        };
        resp.exceptionHandler(e -> cut.run());
        resp.endHandler(v -> cut.run());
    }

    /** A worker's {@code /health} as its token holder sees it (what it serves, which adapters it holds); 1 s at most. */
    Future<JsonObject> health(String url) {
        return http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url + "/health").setTimeout(1000)
                        .putHeader("authorization", authorization))
                .compose(req -> req.send().compose(resp -> resp.body()))
                .map(b -> {
                    JsonObject json = parse(b.toString());
                    if (json == null) {
                        throw new IllegalStateException("not JSON");
                    }
                    return json;
                });
    }

    /** Requests in flight from this gateway to the worker at {@code url}. */
    int inFlight(String url) {
        AtomicInteger n = inFlight.get(url);
        return n == null ? 0 : n.get();
    }

    /** {@code candidates} (in their rotation) with the ones this gateway has fewest requests in flight to first. */
    static List<ReadyEndpoint> leastBusy(List<ReadyEndpoint> candidates, ToIntFunction<String> inFlight) {
        if (candidates.size() <= 1) {
            return candidates;
        }
        List<ReadyEndpoint> out = new ArrayList<>(candidates);
        out.sort(Comparator.comparingInt(e -> inFlight.applyAsInt(e.url()))); // stable: ties keep the rotation
        return out;
    }

    /** Whether a worker's refusal goes to the next candidate: one not ready always does; an overloaded one's, once. */
    private static boolean passesOn(int status, String code, boolean retriedOverload, boolean another) {
        return status == 503 && ("model_not_ready".equals(code) || ("model_overloaded".equals(code) && !retriedOverload && another));
    }

    private Runnable track(String url) {
        AtomicInteger n = inFlight.computeIfAbsent(url, u -> new AtomicInteger());
        n.incrementAndGet();
        boolean[] released = new boolean[1];
        return () -> {
            if (!released[0]) {
                released[0] = true;
                n.decrementAndGet();
            }
        };
    }

    /**
     * POSTs {@code body} to {@code path} on the first candidate that takes it: one that cannot be reached or is not ready
     * passes it to the next; one that answers {@code model_overloaded} passes it on once. A 200's body is read with
     * {@code read}; one it refuses (IllegalArgumentException) is the worker's failure.
     */
    <T> Future<T> call(String modelId, List<ReadyEndpoint> candidates, String path, JsonObject body, String requestId,
            Function<Buffer, T> read) {
        return attempt(modelId, candidates, 0, path, body.toBuffer(), requestId, false, read);
    }

    /** An answer read as a JSON object (IllegalArgumentException when it is not one). */
    static JsonObject json(Buffer body) {
        JsonObject json = parse(body.toString());
        if (json == null) {
            throw new IllegalArgumentException("the answer is not a JSON object");
        }
        return json;
    }

    private <T> Future<T> attempt(String modelId, List<ReadyEndpoint> candidates, int i, String path, Buffer body,
            String requestId, boolean retriedOverload, Function<Buffer, T> read) {
        if (i >= candidates.size()) {
            return Future.failedFuture(notReady(modelId));
        }
        Runnable done = track(candidates.get(i).url());
        return http.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(candidates.get(i).url() + path)
                        .setTimeout(timeout.toMillis()).putHeader("x-request-id", requestId).putHeader("authorization", authorization))
                .compose(req -> req.putHeader("content-type", "application/json").send(body))
                .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b)))
                .transform(ar -> {
                    done.run();
                    if (ar.failed()) {
                        return attempt(modelId, candidates, i + 1, path, body, requestId, retriedOverload, read);
                    }
                    int status = ar.result().status();
                    if (status == 200) {
                        try {
                            return Future.succeededFuture(read.apply(ar.result().body()));
                        } catch (RuntimeException e) { // the reader's refusal, or anything a malformed body sets off in it
                            LOG.warn("a worker of '{}' answered {} with a body this gateway cannot read: {}", modelId, path,
                                    e.toString());
                            return Future.failedFuture(map(modelId, 502, new JsonObject()));
                        }
                    }
                    JsonObject json = parse(ar.result().body().toString());
                    JsonObject error = json == null ? new JsonObject() : json.getJsonObject("error", new JsonObject());
                    String code = error.getString("code");
                    if (passesOn(status, code, retriedOverload, i + 1 < candidates.size())) {
                        return attempt(modelId, candidates, i + 1, path, body, requestId,
                                retriedOverload || "model_overloaded".equals(code), read);
                    }
                    return Future.failedFuture(map(modelId, status, error));
                });
    }

    private record Answer(int status, Buffer body) {
    }

    /** Worker refusals whose code and param reach the client as they are. */
    private static final java.util.Set<String> PASSED_ON = java.util.Set.of("context_length_exceeded", "explanation_too_large",
            "explanations_unsupported");

    private static ApiException notReady(String modelId) {
        return ApiException.unavailable("model_not_ready", "The model '" + modelId + "' has no ready replica yet; retry shortly.", 2);
    }

    /**
     * The worker's refusal as the client's error: its 400s keep their message (an input too long keeps its code and
     * param); the same mapping for a model run in-process (a batch worker).
     */
    public static ApiException refusal(String modelId, int status, JsonObject error) {
        return map(modelId, status, error);
    }

    private static ApiException map(String modelId, int status, JsonObject error) {
        String code = error.getString("code");
        if (status == 503 && "model_overloaded".equals(code)) {
            return ApiException.unavailable("model_overloaded", "The model '" + modelId + "' is overloaded; retry shortly.", 1);
        }
        if (status == 400) {
            // Codes the client can act on pass through with their param; anything else is the worker's invalid_request.
            if (PASSED_ON.contains(code)) {
                return ApiException.badRequest(code, error.getString("param"), error.getString("message", "the model refused the request"));
            }
            return ApiException.badRequest("invalid_request", "input".equals(error.getString("param")) ? "input" : null,
                    error.getString("message", "the model refused the request"));
        }
        if (status == 401) {
            LOG.error("a worker of '{}' refused this gateway's internal token: is LMAAS_WORKER_TOKEN the same for both?", modelId);
        }
        return new ApiException(502, "server_error", "worker_error", null, "the model worker failed to answer", null);
    }

    private static JsonObject parse(String body) {
        try {
            return body == null ? null : new JsonObject(body);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        http.close();
        streaming.close();
    }
}
