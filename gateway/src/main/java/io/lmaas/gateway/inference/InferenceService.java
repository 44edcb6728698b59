package io.lmaas.gateway.inference;

import io.lmaas.core.catalog.AdapterArtifact;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.deployments.ReadyEndpoint;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Tenant inference: resolve the model the tenant may use, check its task, wait (bounded) for a ready
 * replica if its deployment is starting, call a worker.
 */
public final class InferenceService {

    /** One generated continuation. */
    public record Completed(String text, String finishReason, int promptTokens, int completionTokens) {
    }

    private final EndpointDirectory directory;
    private final WorkerClient workers;
    private final Duration readyWait;
    private final AdapterPlacement placement;
    private final TenantKeys tenantKeys;

    public InferenceService(EndpointDirectory directory, WorkerClient workers, Duration readyWait, AdapterPlacement placement,
            TenantKeys tenantKeys) {
        this.tenantKeys = tenantKeys;
        this.directory = directory;
        this.workers = workers;
        this.readyWait = readyWait;
        this.placement = placement;
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
    public ModelRecord servable(TenantPrincipal principal, String modelId, ModelTask task, String endpoint) {
        ModelRecord model = model(principal, modelId);
        if (model.task() != task) {
            throw ApiException.badRequest("unsupported_model_task", "model", "The model '" + modelId + "' is a "
                    + model.task().wireName() + " model; " + endpoint + " needs a " + task.wireName() + " model.");
        }
        return model;
    }

    /**
     * The worker's answer, passed on. A classifier adapter model's inputs run on a ready replica of its base, with the
     * adapter named in the worker request.
     */
    public Future<PassedAnswer> classify(ModelRecord model, ClassificationRequest request, String requestId) {
        return candidates(model).compose(c -> withAdapter(model, request.workerBody())
                .compose(b -> workers.call(model.id(), c, "/v1/classify", b, requestId, PassedAnswer::read)));
    }

    /** Why an input got its label: its tokens, their attributions (integrated gradients), the completeness gap. */
    public record Explanation(String label, List<String> tokens, List<Double> attributions, double gap, int steps) {
        JsonObject toJson() {
            return new JsonObject().put("label", label).put("tokens", new JsonArray(new ArrayList<>(tokens)))
                    .put("attributions", new JsonArray(new ArrayList<>(attributions))).put("convergence_gap", gap)
                    .put("steps", steps).put("method", "integrated_gradients");
        }
    }

    /** One explanation per input, in order (the worker runs them one at a time, apart from classifications). */
    public Future<List<Explanation>> explain(ModelRecord model, ClassificationRequest request, String requestId) {
        if (model.adapter()) {
            return Future.failedFuture(ApiException.badRequest("explanations_unsupported", "explain",
                    "explanations are not offered for LoRA adapter models yet; merge the adapter into a model of its own to explain it"));
        }
        JsonObject body = new JsonObject().put("inputs", new JsonArray(new ArrayList<>(request.inputs())))
                .put("truncate", request.truncate()).put("steps", request.explainSteps());
        return candidates(model).compose(c -> workers.call(model.id(), c, "/v1/explain", body, requestId, WorkerClient::json))
                .map(json -> {
            List<Explanation> out = new ArrayList<>();
            for (Object o : json.getJsonArray("data")) {
                JsonObject item = (JsonObject) o;
                List<String> tokens = new ArrayList<>();
                item.getJsonArray("tokens").forEach(t -> tokens.add((String) t));
                List<Double> attributions = new ArrayList<>();
                item.getJsonArray("attributions").forEach(a -> attributions.add(((Number) a).doubleValue()));
                out.add(new Explanation(item.getString("label"), tokens, attributions, item.getDouble("gap"),
                        item.getInteger("steps")));
            }
            return out;
        });
    }

    /** One embedding per input, in order, in the encoding the request asked for: the worker's answer, passed on. */
    public Future<PassedAnswer> embed(ModelRecord model, EmbeddingRequest request, String requestId) {
        return candidates(model).compose(c -> workers.call(model.id(), c, "/v1/embed", request.workerBody(), requestId,
                PassedAnswer::read));
    }

    /**
     * One generation per body (prompt or chat messages), in order. A model whose versions are LoRA adapters runs on a
     * ready replica of its base, with its newest version named in the worker request.
     */
    public Future<List<Completed>> generate(ModelRecord model, List<JsonObject> bodies, String requestId) {
        return candidates(model).compose(c -> {
            List<Future<Completed>> choices = new ArrayList<>();
            for (JsonObject body : bodies) {
                choices.add(withAdapter(model, body)
                        .compose(b -> workers.call(model.id(), c, "/v1/generate", b, requestId, WorkerClient::json))
                        .map(WorkerAnswers::completed));
            }
            return Future.all(choices).map(all -> {
                List<Completed> out = new ArrayList<>();
                for (int i = 0; i < choices.size(); i++) {
                    out.add(all.resultAt(i));
                }
                return out;
            });
        });
    }

    /** Starts a streamed generation; the handler hears the rest. */
    public Future<WorkerClient.StreamCall> generateStream(ModelRecord model, JsonObject body, String requestId,
            WorkerClient.StreamHandler handler) {
        return candidates(model).compose(c -> withAdapter(model, body).compose(b -> workers.stream(model.id(), c, "/v1/generate", b,
                requestId, handler)));
    }

    /**
     * The replicas that serve {@code model}, in the order to try them: its own deployment's, the ones this gateway has
     * fewest requests in flight to first; for an adapter model its base's, the ones holding the adapter first.
     */
    private Future<List<ReadyEndpoint>> candidates(ModelRecord model) {
        if (model.adapter()) {
            return directory.awaitCandidates(model.baseModelId(), readyWait).map(c -> placement.order(c, model.id()));
        }
        return directory.awaitCandidates(model.id(), readyWait).map(c -> WorkerClient.leastBusy(c, workers::inFlight));
    }

    /**
     * The worker request for an adapter model names the adapter (its id, the newest version's directory, whether pinned)
     * and, for a tenant's adapter, the tenant's data key wrapped by the master key: the adapter's files are sealed with
     * it, and the worker opens it in memory.
     */
    private Future<JsonObject> withAdapter(ModelRecord model, JsonObject body) {
        if (!model.adapter()) {
            return Future.succeededFuture(body);
        }
        java.util.Optional<AdapterArtifact> found = directory.table().adapterArtifact(model.id());
        if (found.isEmpty()) {
            return Future.failedFuture(ApiException.unavailable("model_not_ready", "The model '" + model.id()
                    + "' has no version to serve yet; retry shortly.", 2));
        }
        AdapterArtifact a = found.get();
        JsonObject adapter = new JsonObject().put("name", model.id())
                .put("path", io.lmaas.core.artifacts.ArtifactStore.path(a.uri()).toString()).put("pinned", a.pinned());
        if (model.ownerTenantId() == null) {
            return Future.succeededFuture(body.copy().put("adapter", adapter));
        }
        return tenantKeys.wrappedOf(model.ownerTenantId()).map(k -> body.copy().put("adapter", adapter.put("data_key", k.toJson())));
    }
}
