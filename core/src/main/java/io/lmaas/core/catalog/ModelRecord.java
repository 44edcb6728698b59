package io.lmaas.core.catalog;

import java.time.OffsetDateTime;

/**
 * A model as tenants see it: an id, its task, who owns it (null owner = every tenant may use it), and, for a model whose
 * versions are LoRA adapters, the base model they apply to (null otherwise).
 */
public record ModelRecord(String id, ModelTask task, String ownerTenantId, String description, OffsetDateTime createdAt,
        String baseModelId) {

    public ModelRecord(String id, ModelTask task, String ownerTenantId, String description, OffsetDateTime createdAt) {
        this(id, task, ownerTenantId, description, createdAt, null);
    }

    /** True if its versions are adapters of {@link #baseModelId}. */
    public boolean adapter() {
        return baseModelId != null;
    }

    public boolean visibleTo(String tenantId) {
        return ownerTenantId == null || ownerTenantId.equals(tenantId);
    }
}
