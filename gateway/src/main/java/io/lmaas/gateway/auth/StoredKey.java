package io.lmaas.gateway.auth;

import java.time.OffsetDateTime;

/** An API key as stored: id, owner, keyed hash of the secret, lifecycle. */
public record StoredKey(String keyId, String tenantId, String name, byte[] secretHash, String last4,
        OffsetDateTime createdAt, OffsetDateTime expiresAt, OffsetDateTime revokedAt) {

    public boolean usableAt(OffsetDateTime now) {
        return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }
}
