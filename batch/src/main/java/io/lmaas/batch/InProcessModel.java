package io.lmaas.batch;

import io.lmaas.gateway.batches.BatchLines;
import io.lmaas.gateway.inference.WorkerClient;
import io.lmaas.worker.runtime.ComputeDevice;
import io.lmaas.worker.serve.ModelCalls;
import io.lmaas.worker.wlm.AdapterRef;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServedModel;
import io.lmaas.worker.wlm.ServingObserver;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * A model loaded in this process and called as a worker would be, without HTTP: the worker's own {@link ModelCalls}
 * (dynamic batching for classifiers and embedders, continuous batching for generators) with its refusals mapped to the
 * client's errors by the gateway's one mapping ({@link WorkerClient#refusal}). Generation stops when the batch it answers
 * is stopped ({@link #cancelWhen}).
 */
final class InProcessModel implements BatchLines.Model, AutoCloseable {
    /** The queue bound: the batch worker keeps at most a chunk of lines in flight, so the serving core never refuses one. */
    private static final int QUEUE = 1 << 20;

    private final String modelId;
    private final ServedModel served;
    private final AdapterRef adapter;
    private volatile BooleanSupplier cancelled = () -> false;

    private InProcessModel(String modelId, ServedModel served, AdapterRef adapter) {
        this.modelId = modelId;
        this.served = served;
        this.adapter = adapter;
    }

    /** Loads {@code directory} (with {@code adapter} on it, or null) on {@code device} and runs one warm-up inference. */
    static InProcessModel load(String modelId, Path directory, AdapterRef adapter, ComputeDevice device, Integer threads)
            throws Exception {
        ServedModel served = ServedModel.load(directory, device, new ServedModel.Overrides(null, null, QUEUE, threads, null),
                ServingObserver.NONE);
        try {
            served.warmUp();
        } catch (Exception e) {
            served.close();
            throw e;
        }
        if (adapter != null && !(served instanceof ServedModel.Generator) && served.adapted() == null) {
            served.close();
            throw new IllegalArgumentException("this base serves no adapters");
        }
        return new InProcessModel(modelId, served, adapter);
    }

    /** What stops generations from now on (the batch this model now answers: a model is kept from one batch to the next). */
    void cancelWhen(BooleanSupplier cancelled) {
        this.cancelled = cancelled;
    }

    ServedModel served() {
        return served;
    }

    @Override
    public Future<JsonObject> call(String path, JsonObject body) {
        CompletableFuture<JsonObject> answer;
        try {
            answer = switch (path) {
                case "/v1/classify" -> adapter != null ? ModelCalls.classify(served.adapted(), body, adapter)
                        : served instanceof ServedModel.Classifier c ? ModelCalls.classify(c, body) : wrongTask();
                case "/v1/embed" -> served instanceof ServedModel.Embedder e ? ModelCalls.embed(e, body) : wrongTask();
                case "/v1/generate" -> served instanceof ServedModel.Generator g
                        ? ModelCalls.generate(g, ModelCalls.generation(g, body), GenerationEngine.Listener.NONE, cancelled, adapter)
                                .thenApply(ModelCalls::generated)
                        : wrongTask();
                default -> throw new IllegalArgumentException("no such worker call " + path);
            };
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return Future.fromCompletionStage(answer).recover(e -> {
            ModelCalls.Refused r = ModelCalls.refusal(e, false);
            return Future.failedFuture(WorkerClient.refusal(modelId, r.status(), r.toJson().getJsonObject("error")));
        });
    }

    private static CompletableFuture<JsonObject> wrongTask() {
        return CompletableFuture.failedFuture(new ModelCalls.Refused(400, "invalid_request", null,
                "the model does not serve this kind of request"));
    }

    @Override
    public void close() {
        served.close();
    }
}
