package io.lmaas.gateway.inference;

import io.lmaas.core.catalog.AdapterArtifact;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.deployments.ReadyEndpoint;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An immutable snapshot of the models, their ready endpoints and the adapter models' newest versions' files, as last
 * read from PostgreSQL.
 */
record RoutingTable(Map<String, ModelRecord> models, Map<String, List<ReadyEndpoint>> endpoints,
        Map<String, AdapterArtifact> adapters) {
    static final RoutingTable EMPTY = new RoutingTable(Map.of(), Map.of(), Map.of());

    static RoutingTable of(List<ModelRecord> models, List<ReadyEndpoint> ready, Map<String, AdapterArtifact> adapters) {
        return new RoutingTable(
                models.stream().collect(Collectors.toUnmodifiableMap(ModelRecord::id, m -> m)),
                ready.stream().collect(Collectors.groupingBy(ReadyEndpoint::modelId, Collectors.toUnmodifiableList())),
                Map.copyOf(adapters));
    }

    /** Where an adapter model's newest version is, and whether it is pinned, if it has a version. */
    Optional<AdapterArtifact> adapterArtifact(String modelId) {
        return Optional.ofNullable(adapters.get(modelId));
    }

    /** The model if it exists and the tenant may use it; another tenant's model is indistinguishable from none. */
    Optional<ModelRecord> visibleModel(String tenantId, String modelId) {
        ModelRecord m = models.get(modelId);
        return m != null && m.visibleTo(tenantId) ? Optional.of(m) : Optional.empty();
    }

    List<ModelRecord> visibleModels(String tenantId) {
        return models.values().stream().filter(m -> m.visibleTo(tenantId))
                .sorted(java.util.Comparator.comparing(ModelRecord::id)).toList();
    }

    List<ReadyEndpoint> ready(String modelId) {
        return endpoints.getOrDefault(modelId, List.of());
    }
}
