package io.lmaas.core.catalog;

import java.time.OffsetDateTime;

/** A model as tenants see it: an id, its task, and who owns it (null owner = every tenant may use it). */
public record ModelRecord(String id, ModelTask task, String ownerTenantId, String description, OffsetDateTime createdAt) {

    public boolean visibleTo(String tenantId) {
        return ownerTenantId == null || ownerTenantId.equals(tenantId);
    }
}
