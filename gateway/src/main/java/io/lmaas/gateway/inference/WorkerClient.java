package io.lmaas.gateway.inference;

import io.lmaas.core.deployments.ReadyEndpoint;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.List;

/**
 * Gateway → worker calls over HTTP with fail-over: a worker that cannot be reached or is not ready is
 * skipped for the next candidate; when none answers, the model is not ready (503 with Retry-After).
 */
public final class WorkerClient implements AutoCloseable {
    private final WebClient client;
    private final Duration timeout;

    public WorkerClient(Vertx vertx, Duration timeout) {
        this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(2000).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(64));
        this.timeout = timeout;
    }

    /** POSTs {@code body} to {@code path} on the first candidate that takes it. */
    Future<JsonObject> call(String modelId, List<ReadyEndpoint> candidates, String path, JsonObject body) {
        return attempt(modelId, candidates, 0, path, body);
    }

    private Future<JsonObject> attempt(String modelId, List<ReadyEndpoint> candidates, int i, String path, JsonObject body) {
        if (i >= candidates.size()) {
            return Future.failedFuture(ApiException.unavailable("model_not_ready",
                    "The model '" + modelId + "' has no ready replica yet; retry shortly.", 2));
        }
        return client.postAbs(candidates.get(i).url() + path)
                .timeout(timeout.toMillis())
                .sendJsonObject(body)
                .transform(ar -> {
                    if (ar.failed()) {
                        return attempt(modelId, candidates, i + 1, path, body);
                    }
                    int status = ar.result().statusCode();
                    JsonObject json = parse(ar.result().bodyAsString());
                    if (status == 200 && json != null) {
                        return Future.succeededFuture(json);
                    }
                    String code = json == null ? null : json.getJsonObject("error", new JsonObject()).getString("code");
                    String message = json == null ? "worker answered " + status
                            : json.getJsonObject("error", new JsonObject()).getString("message", "worker answered " + status);
                    if (status == 503 && "model_not_ready".equals(code)) {
                        return attempt(modelId, candidates, i + 1, path, body);
                    }
                    if (status == 503 && "model_overloaded".equals(code)) {
                        return Future.failedFuture(ApiException.unavailable("model_overloaded",
                                "The model '" + modelId + "' is overloaded; retry shortly.", 1));
                    }
                    if (status == 400) {
                        return Future.failedFuture(ApiException.badRequest("invalid_request", null, message));
                    }
                    return Future.failedFuture(new ApiException(502, "server_error", "worker_error", null,
                            "the model worker failed to answer", null));
                });
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
        client.close();
    }
}
