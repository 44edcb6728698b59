package io.lmaas.gateway.batches;

import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.inference.ClassificationRequest;
import io.lmaas.gateway.inference.CompletionRequest;
import io.lmaas.gateway.inference.EmbeddingRequest;
import io.lmaas.gateway.inference.InferenceService;
import io.lmaas.gateway.inference.Responses;
import io.lmaas.gateway.inference.WorkerAnswers;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of a batch answered as the online endpoint answers it: its body read by the endpoint's own request parser,
 * the model called with the body a worker takes, and the worker's answer shaped by the online response builder, so a
 * batch line's answer is the online answer. The model is whatever runs it ({@link Model}: in a batch worker, a model
 * loaded in-process). A line that fails becomes an error line with the code the online call would have answered.
 */
public final class BatchLines {
    private BatchLines() {
    }

    /** A model as a batch sees it: a worker request ({@code /v1/classify}, {@code /v1/embed}, {@code /v1/generate}) in, its answer out. */
    @FunctionalInterface
    public interface Model {
        Future<JsonObject> call(String path, JsonObject workerBody);
    }

    /** A line's outcome: its output line, tokens, the status and code it is metered with, and how long it took. */
    public record Answered(JsonObject line, int promptTokens, int completionTokens, int status, String errorCode, long latencyMs) {
        public Answered withLatency(long ms) {
            return new Answered(line, promptTokens, completionTokens, status, errorCode, ms);
        }

        /** What the ledger commits for it. */
        public BatchLedger.Line outcome() {
            return new BatchLedger.Line(line.getString("id"), promptTokens, completionTokens, status, errorCode, latencyMs);
        }
    }

    private record Result(JsonObject body, int prompt, int completion) {
    }

    /** Answers {@code line} (a batch input line: {@code custom_id}, {@code body}) of a batch on {@code endpoint}. */
    public static Future<Answered> answer(String endpoint, JsonObject line, Model model, String requestId, long createdEpochSecond) {
        String customId = line.getString("custom_id");
        Future<Result> work;
        try {
            work = run(endpoint, line.getJsonObject("body"), model, requestId, createdEpochSecond);
        } catch (RuntimeException e) {
            work = Future.failedFuture(e);
        }
        return work.map(r -> new Answered(new JsonObject().put("id", requestId).put("custom_id", customId)
                        .put("response", new JsonObject().put("status_code", 200).put("request_id", requestId).put("body", r.body()))
                        .putNull("error"), r.prompt(), r.completion(), 200, null, 0))
                .recover(e -> Future.succeededFuture(failed(requestId, customId, e)));
    }

    private static Future<Result> run(String endpoint, JsonObject body, Model model, String requestId, long created) {
        switch (endpoint) {
            case "/v1/classifications" -> {
                ClassificationRequest req = ClassificationRequest.parse(body);
                return model.call("/v1/classify", req.workerBody()).map(answer -> {
                    int tokens = WorkerAnswers.tokens(answer);
                    return new Result(Responses.classification("clf-" + requestId, req.model(), answer.getJsonArray("data"), tokens,
                            List.of(), 0), tokens, 0);
                });
            }
            case "/v1/embeddings" -> {
                EmbeddingRequest req = EmbeddingRequest.parse(body);
                return model.call("/v1/embed", req.workerBody()).map(answer -> {
                    int tokens = WorkerAnswers.tokens(answer);
                    return new Result(Responses.embeddings(req.model(), answer.getJsonArray("data"), tokens), tokens, 0);
                });
            }
            case "/v1/completions" -> {
                CompletionRequest req = CompletionRequest.parse(body);
                if (req.stream()) {
                    throw ApiException.invalidParam("stream", "batch requests cannot stream");
                }
                List<Future<InferenceService.Completed>> choices = new ArrayList<>();
                for (JsonObject b : req.workerBodies()) {
                    choices.add(model.call("/v1/generate", b).map(WorkerAnswers::completed));
                }
                return Future.all(choices).map(all -> {
                    List<InferenceService.Completed> results = new ArrayList<>();
                    for (int i = 0; i < choices.size(); i++) {
                        results.add(all.resultAt(i));
                    }
                    return new Result(Responses.completion("cmpl-" + requestId, created, req.model(), results),
                            results.stream().mapToInt(InferenceService.Completed::promptTokens).sum(),
                            results.stream().mapToInt(InferenceService.Completed::completionTokens).sum());
                });
            }
            default -> throw ApiException.invalidParam("endpoint", "unsupported batch endpoint " + endpoint);
        }
    }

    /** The error line of a request that failed (metered with its status and code, without tokens). */
    static Answered failed(String requestId, String customId, Throwable e) {
        ApiException api = e instanceof ApiException a ? a : new ApiException(500, "server_error", "internal_error", null,
                "the request failed: " + e.getClass().getSimpleName(), null);
        JsonObject error = new JsonObject().put("message", api.getMessage()).put("type", api.type()).put("param", api.param())
                .put("code", api.code());
        JsonObject line = new JsonObject().put("id", requestId).put("custom_id", customId)
                .put("response", new JsonObject().put("status_code", api.status()).put("request_id", requestId)
                        .put("body", new JsonObject().put("error", error)))
                .put("error", new JsonObject().put("code", api.code()).put("message", api.getMessage()));
        return new Answered(line, 0, 0, api.status(), api.code(), 0);
    }

    /** A line not computed because the budgets it counts against are spent: a {@code quota_exceeded} error (402). */
    public static Answered refusedByBudget(String requestId, String customId) {
        JsonObject line = BatchChunkFiles.refusedByBudget(new JsonObject().put("id", requestId).put("custom_id", customId));
        return new Answered(line, 0, 0, 402, "quota_exceeded", 0);
    }
}
