package io.lmaas.core.crypto;

import io.vertx.core.json.JsonObject;
import java.util.Base64;

/**
 * A tenant's data key as stored and as handed to a worker: encrypted under the master key {@code masterKeyId}. Useless
 * without that master key, so it may travel to workers (which hold the master key) in a request or the environment.
 */
public record WrappedKey(String id, String tenantId, String masterKeyId, byte[] wrapped) {
    /** The environment variable through which a worker serving one tenant's model receives its wrapped data key. */
    public static final String ENV = "LMAAS_DATA_KEY";

    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("tenant", tenantId).put("master", masterKeyId)
                .put("wrapped", Base64.getEncoder().encodeToString(wrapped));
    }

    /** The form {@link #toJson} wrote; anything else is refused with what is missing. */
    public static WrappedKey fromJson(JsonObject json) {
        String id = json.getString("id");
        String tenant = json.getString("tenant");
        String master = json.getString("master");
        String wrapped = json.getString("wrapped");
        if (id == null || tenant == null || master == null || wrapped == null) {
            throw new IllegalArgumentException("a wrapped data key has id, tenant, master and wrapped");
        }
        return new WrappedKey(id, tenant, master, Base64.getDecoder().decode(wrapped));
    }
}
