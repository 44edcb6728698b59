package io.lmaas.gateway.auth;

import io.lmaas.gateway.quota.Limits;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** API keys (SQL only). Every change fires {@code lmaas_keys} (a trigger) so all gateways drop their cached copy. */
public final class ApiKeyRepository {
    private static final String COLUMNS = "id, tenant_id, name, secret_hash, last4, scopes, limits, created_at, expires_at,"
            + " revoked_at, previous_secret_hash, previous_valid_until, rotated_at";

    private final SqlClient client;

    public ApiKeyRepository(SqlClient client) {
        this.client = client;
    }

    public static Future<StoredKey> insert(SqlClient conn, String keyId, String tenantId, String name, byte[] hash,
            String last4, KeyScopes scopes, Limits limits, OffsetDateTime expiresAt) {
        return conn.preparedQuery("INSERT INTO api_keys (id, tenant_id, name, secret_hash, last4, scopes, limits, expires_at)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " + COLUMNS)
                .execute(Tuple.from(new Object[] {keyId, tenantId, name, Buffer.buffer(hash), last4, scopes.toJson(),
                    limits.toJson(), expiresAt}))
                .map(rows -> toKey(rows.iterator().next()));
    }

    public Future<Optional<StoredKey>> find(String keyId) {
        return find(client, keyId, false);
    }

    /** The key, locked for update when {@code forUpdate}. */
    public static Future<Optional<StoredKey>> find(SqlClient conn, String keyId, boolean forUpdate) {
        return conn.preparedQuery("SELECT " + COLUMNS + " FROM api_keys WHERE id = $1" + (forUpdate ? " FOR UPDATE" : ""))
                .execute(Tuple.of(keyId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toKey(rows.iterator().next())));
    }

    /** The tenant's keys in id order after {@code after}. */
    public static Future<List<StoredKey>> list(SqlClient conn, String tenantId, String after, int limit) {
        return conn.preparedQuery("SELECT " + COLUMNS + " FROM api_keys WHERE tenant_id = $1 AND ($2::text IS NULL OR id > $2)"
                        + " ORDER BY id LIMIT $3")
                .execute(Tuple.of(tenantId, after, limit))
                .map(rows -> {
                    List<StoredKey> out = new ArrayList<>();
                    rows.forEach(r -> out.add(toKey(r)));
                    return out;
                });
    }

    public static Future<StoredKey> revoke(SqlClient conn, String keyId) {
        return conn.preparedQuery("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING "
                        + COLUMNS)
                .execute(Tuple.of(keyId))
                .map(rows -> toKey(rows.iterator().next()));
    }

    /** New secret; the current one stays valid for {@code graceSeconds} (0 = not at all). */
    public static Future<StoredKey> rotate(SqlClient conn, String keyId, byte[] newHash, String last4, long graceSeconds) {
        return conn.preparedQuery("UPDATE api_keys SET previous_secret_hash = secret_hash,"
                        + " previous_valid_until = now() + make_interval(secs => $4), secret_hash = $2, last4 = $3,"
                        + " rotated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
                .execute(Tuple.of(keyId, Buffer.buffer(newHash), last4, (double) graceSeconds))
                .map(rows -> toKey(rows.iterator().next()));
    }

    public static Future<StoredKey> putLimits(SqlClient conn, String keyId, Limits limits) {
        return conn.preparedQuery("UPDATE api_keys SET limits = $2 WHERE id = $1 RETURNING " + COLUMNS)
                .execute(Tuple.of(keyId, limits.toJson()))
                .map(rows -> toKey(rows.iterator().next()));
    }

    private static StoredKey toKey(Row r) {
        Buffer previous = r.getBuffer("previous_secret_hash");
        return new StoredKey(r.getString("id"), r.getString("tenant_id"), r.getString("name"),
                r.getBuffer("secret_hash").getBytes(), r.getString("last4"),
                KeyScopes.fromStored((JsonObject) r.getValue("scopes")), Limits.fromStored((JsonObject) r.getValue("limits")),
                r.getOffsetDateTime("created_at"), r.getOffsetDateTime("expires_at"), r.getOffsetDateTime("revoked_at"),
                previous == null ? null : previous.getBytes(), r.getOffsetDateTime("previous_valid_until"),
                r.getOffsetDateTime("rotated_at"));
    }
}
