package io.lmaas.gateway.auth;

import io.lmaas.gateway.quota.Limits;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * An API key as stored: id, owner, keyed hash of the secret (and of the previous secret while a rotation's
 * grace period runs), scopes, limits, lifecycle. Never holds a secret.
 */
public record StoredKey(String keyId, String tenantId, String name, byte[] secretHash, String last4, KeyScopes scopes,
        Limits limits, OffsetDateTime createdAt, OffsetDateTime expiresAt, OffsetDateTime revokedAt,
        byte[] previousSecretHash, OffsetDateTime previousValidUntil, OffsetDateTime rotatedAt) {

    public boolean usableAt(OffsetDateTime now) {
        return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }

    /** True when the secret's hash is the current one, or the previous one within its grace period. */
    public boolean accepts(KeyHasher hasher, String secret, OffsetDateTime now) {
        if (hasher.matches(secret, secretHash)) {
            return true;
        }
        return previousSecretHash != null && previousValidUntil != null && previousValidUntil.isAfter(now)
                && hasher.matches(secret, previousSecretHash);
    }

    /** The masked, secret-free view admins see (and audit rows record). */
    public JsonObject toJson() {
        return new JsonObject()
                .put("id", keyId)
                .put("object", "api_key")
                .put("tenant_id", tenantId)
                .put("name", name)
                .put("redacted_key", ApiKeys.masked(keyId, last4))
                .put("scopes", scopes.toJson())
                .put("limits", limits.toJson())
                .put("created_at", epoch(createdAt))
                .put("expires_at", epoch(expiresAt))
                .put("revoked_at", epoch(revokedAt))
                .put("rotated_at", epoch(rotatedAt))
                .put("previous_key_valid_until", epoch(previousValidUntil));
    }

    private static Long epoch(OffsetDateTime t) {
        return t == null ? null : t.toEpochSecond();
    }
}
