package io.lmaas.batch;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.auth.KeyScopes;
import io.lmaas.worker.wlm.AdapterRef;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Which model directory a batch runs, checked as the online path checks a request: the model exists and the tenant may
 * use it (as the gateway's 404), the batch's key is scoped to it (403), and its task is the endpoint's (400). An adapter
 * model runs on its base's newest version with the adapter's newest version on it.
 */
record BatchModel(String id, Path directory, AdapterRef adapter) {
    private static final Map<String, ModelTask> TASKS = Map.of("/v1/classifications", ModelTask.TEXT_CLASSIFICATION,
            "/v1/embeddings", ModelTask.FEATURE_EXTRACTION, "/v1/completions", ModelTask.TEXT_GENERATION);

    /** Why the batch cannot run its model: an error code and a message for the tenant. */
    static final class Refused extends Exception {
        final String code;

        Refused(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    static BatchModel resolve(ModelCatalogRepository catalog, String tenantId, JsonObject spec, String modelId) throws Exception {
        String endpoint = spec.getString("endpoint");
        Optional<ModelRecord> found = BatchProcess.await(catalog.find(modelId)).filter(m -> m.visibleTo(tenantId));
        if (found.isEmpty()) {
            throw new Refused("model_not_found", "The model '" + modelId + "' does not exist or you do not have access to it.");
        }
        ModelRecord m = found.get();
        KeyScopes scopes = spec.getJsonObject("scopes") == null ? KeyScopes.ALL : KeyScopes.fromStored(spec.getJsonObject("scopes"));
        if (!scopes.allowsModel(modelId)) {
            throw new Refused("insufficient_scope", "The batch's API key may not use the model '" + modelId + "'.");
        }
        ModelTask task = TASKS.get(endpoint);
        if (m.task() != task) {
            throw new Refused("unsupported_model_task", "The model '" + modelId + "' is a " + m.task().wireName() + " model; "
                    + endpoint + " needs a " + task.wireName() + " model.");
        }
        if (!m.adapter()) {
            return new BatchModel(modelId, newest(catalog, modelId), null);
        }
        return new BatchModel(modelId, newest(catalog, m.baseModelId()), new AdapterRef(modelId, newest(catalog, modelId)));
    }

    private static Path newest(ModelCatalogRepository catalog, String modelId) throws Exception {
        return BatchProcess.await(catalog.latestVersion(modelId)).map(v -> ArtifactStore.path(v.artifactUri()))
                .orElseThrow(() -> new Refused("model_not_ready", "The model '" + modelId + "' has no version to run yet."));
    }
}
