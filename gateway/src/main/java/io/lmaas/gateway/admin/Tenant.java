package io.lmaas.gateway.admin;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/** A tenant: the unit of isolation, quota and billing. */
public record Tenant(String id, String name, OffsetDateTime createdAt) {

    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("object", "tenant").put("name", name)
                .put("created_at", createdAt.toEpochSecond());
    }
}
