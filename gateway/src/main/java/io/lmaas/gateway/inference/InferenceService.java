package io.lmaas.gateway.inference;

import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tenant inference: resolve the model the tenant may use, check its task, call a ready worker. */
public final class InferenceService {

    /** One classified input. */
    public record Classified(String label, double score, Map<String, Double> scores, int tokens) {
    }

    /** One generated continuation. */
    public record Completed(String text, String finishReason, int promptTokens, int completionTokens) {
    }

    private final EndpointDirectory directory;
    private final WorkerClient workers;

    public InferenceService(EndpointDirectory directory, WorkerClient workers) {
        this.directory = directory;
        this.workers = workers;
    }

    /** The models the tenant may use and the key is scoped to. */
    public List<ModelRecord> models(TenantPrincipal principal) {
        return directory.table().visibleModels(principal.tenantId()).stream()
                .filter(m -> principal.scopes().allowsModel(m.id())).toList();
    }

    /** The model, if the tenant may use it (404 otherwise) and the key is scoped to it (403 otherwise). */
    public ModelRecord model(TenantPrincipal principal, String modelId) {
        ModelRecord model = directory.table().visibleModel(principal.tenantId(), modelId)
                .orElseThrow(() -> ApiException.modelNotFound(modelId));
        if (!principal.scopes().allowsModel(modelId)) {
            throw ApiException.forbidden("insufficient_scope", "model", "This API key may not use the model '" + modelId + "'.");
        }
        return model;
    }

    /** Checks the request may go to the model; throws the 404/403/400 the client gets otherwise. */
    public ModelRecord servable(TenantPrincipal principal, ClassificationRequest request) {
        return servable(principal, request.model(), ModelTask.TEXT_CLASSIFICATION, "/v1/classifications");
    }

    public ModelRecord servable(TenantPrincipal principal, CompletionRequest request) {
        return servable(principal, request.model(), ModelTask.TEXT_GENERATION, "/v1/completions");
    }

    public Future<List<Classified>> classify(ModelRecord model, ClassificationRequest request) {
        JsonObject body = new JsonObject().put("inputs", new JsonArray(new ArrayList<>(request.inputs())));
        return workers.call(model.id(), directory.candidates(model.id()), "/v1/classify", body).map(json -> {
            List<Classified> out = new ArrayList<>();
            for (Object o : json.getJsonArray("data")) {
                JsonObject item = (JsonObject) o;
                Map<String, Double> scores = new LinkedHashMap<>();
                item.getJsonObject("scores").forEach(e -> scores.put(e.getKey(), ((Number) e.getValue()).doubleValue()));
                out.add(new Classified(item.getString("label"), item.getDouble("score"), scores, item.getInteger("tokens")));
            }
            return out;
        });
    }

    public Future<List<Completed>> complete(ModelRecord model, CompletionRequest request) {
        List<Future<Completed>> choices = new ArrayList<>();
        for (String prompt : request.prompts()) {
            JsonObject body = new JsonObject().put("prompt", prompt).put("max_tokens", request.maxTokens())
                    .put("temperature", request.temperature()).put("seed", request.seed());
            choices.add(workers.call(model.id(), directory.candidates(model.id()), "/v1/generate", body)
                    .map(json -> new Completed(json.getString("text"), json.getString("finish_reason"),
                            json.getInteger("prompt_tokens"), json.getInteger("completion_tokens"))));
        }
        return Future.all(choices).map(all -> {
            List<Completed> out = new ArrayList<>();
            for (int i = 0; i < choices.size(); i++) {
                out.add(all.resultAt(i));
            }
            return out;
        });
    }

    /** Starts a streamed completion of the request's one prompt; the handler hears the rest. */
    public Future<WorkerClient.StreamCall> completeStream(ModelRecord model, CompletionRequest request,
            WorkerClient.StreamHandler handler) {
        JsonObject body = new JsonObject().put("prompt", request.prompts().get(0)).put("max_tokens", request.maxTokens())
                .put("temperature", request.temperature()).put("seed", request.seed()).put("stream", true);
        return workers.stream(model.id(), directory.candidates(model.id()), "/v1/generate", body, handler);
    }

    private ModelRecord servable(TenantPrincipal principal, String modelId, ModelTask task, String endpoint) {
        ModelRecord model = model(principal, modelId);
        if (model.task() != task) {
            throw ApiException.badRequest("unsupported_model_task", "model", "The model '" + modelId + "' is a "
                    + model.task().wireName() + " model; " + endpoint + " needs a " + task.wireName() + " model.");
        }
        return model;
    }
}
