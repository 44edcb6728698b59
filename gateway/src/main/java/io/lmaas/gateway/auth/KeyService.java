package io.lmaas.gateway.auth;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.quota.Limits;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * Key administration: create (secret returned once), list and get (masked), revoke, rotate with a grace
 * period, per-key limits. A key of another tenant is "not found". Every mutation writes an audit row with
 * the masked key before and after, in the same transaction.
 */
public final class KeyService {
    public static final long MAX_GRACE_SECONDS = 7L * 24 * 3600;

    /** A key just created or rotated: what is stored, and the token to show once. */
    public record IssuedKey(StoredKey stored, ApiKeys.Issued issued) {
    }

    private final Pool pool;
    private final KeyHasher hasher;

    public KeyService(Pool pool, KeyHasher hasher) {
        this.pool = pool;
        this.hasher = hasher;
    }

    public Future<IssuedKey> create(String actor, String tenantId, String name, KeyScopes scopes, Limits limits,
            OffsetDateTime expiresAt) {
        ApiKeys.Issued issued = ApiKeys.issue();
        return pool.withTransaction(conn -> requireTenant(conn, tenantId)
                .compose(v -> ApiKeyRepository.insert(conn, issued.keyId(), tenantId, name, hasher.hash(issued.secret()),
                        issued.last4(), scopes, limits, expiresAt))
                .compose(stored -> AuditRepository.record(conn, actor, "api_key.create", "api_key", stored.keyId(), tenantId,
                        null, stored.toJson()).map(new IssuedKey(stored, issued))));
    }

    public Future<List<StoredKey>> list(String tenantId, String after, int limit) {
        return requireTenant(pool, tenantId).compose(v -> ApiKeyRepository.list(pool, tenantId, after, limit));
    }

    public Future<StoredKey> get(String tenantId, String keyId) {
        return ApiKeyRepository.find(pool, keyId, false).map(k -> owned(k, tenantId, keyId));
    }

    public Future<StoredKey> revoke(String actor, String tenantId, String keyId) {
        return pool.withTransaction(conn -> ApiKeyRepository.find(conn, keyId, true)
                .map(k -> owned(k, tenantId, keyId))
                .compose(before -> ApiKeyRepository.revoke(conn, keyId)
                        .compose(after -> AuditRepository.record(conn, actor, "api_key.revoke", "api_key", keyId, tenantId,
                                before.toJson(), after.toJson()).map(after))));
    }

    public Future<IssuedKey> rotate(String actor, String tenantId, String keyId, long graceSeconds) {
        ApiKeys.Issued fresh = ApiKeys.issue();
        ApiKeys.Issued issued = new ApiKeys.Issued(keyId, fresh.secret());
        return pool.withTransaction(conn -> ApiKeyRepository.find(conn, keyId, true)
                .map(k -> owned(k, tenantId, keyId))
                .compose(before -> {
                    if (before.revokedAt() != null) {
                        return Future.failedFuture(ApiException.conflict("api_key_revoked", "a revoked key cannot be rotated"));
                    }
                    return ApiKeyRepository.rotate(conn, keyId, hasher.hash(issued.secret()), issued.last4(), graceSeconds)
                            .compose(after -> AuditRepository.record(conn, actor, "api_key.rotate", "api_key", keyId, tenantId,
                                    before.toJson(), after.toJson()).map(new IssuedKey(after, issued)));
                }));
    }

    public Future<StoredKey> putLimits(String actor, String tenantId, String keyId, Limits limits) {
        return pool.withTransaction(conn -> ApiKeyRepository.find(conn, keyId, true)
                .map(k -> owned(k, tenantId, keyId))
                .compose(before -> ApiKeyRepository.putLimits(conn, keyId, limits)
                        .compose(after -> AuditRepository.record(conn, actor, "api_key.limits", "api_key", keyId, tenantId,
                                before.toJson(), after.toJson()).map(after))));
    }

    private static StoredKey owned(Optional<StoredKey> key, String tenantId, String keyId) {
        if (key.isEmpty() || !key.get().tenantId().equals(tenantId)) {
            throw ApiException.notFound("api_key_not_found", "no API key '" + keyId + "' for tenant '" + tenantId + "'");
        }
        return key.get();
    }

    static Future<Void> requireTenant(SqlClient client, String tenantId) {
        return client.preparedQuery("SELECT 1 FROM tenants WHERE id = $1 AND deleted_at IS NULL").execute(Tuple.of(tenantId))
                .compose(rows -> rows.size() == 0
                        ? Future.failedFuture(ApiException.notFound("tenant_not_found", "no tenant '" + tenantId + "'"))
                        : Future.succeededFuture());
    }
}
