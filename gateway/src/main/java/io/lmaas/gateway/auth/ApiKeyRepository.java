package io.lmaas.gateway.auth;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/** API keys (SQL only). */
public final class ApiKeyRepository {
    private final SqlClient client;

    public ApiKeyRepository(SqlClient client) {
        this.client = client;
    }

    public static Future<StoredKey> insert(SqlClient conn, String keyId, String tenantId, String name, byte[] hash, String last4) {
        return conn.preparedQuery("INSERT INTO api_keys (id, tenant_id, name, secret_hash, last4) VALUES ($1, $2, $3, $4, $5)"
                        + " RETURNING id, tenant_id, name, secret_hash, last4, created_at, expires_at, revoked_at")
                .execute(Tuple.of(keyId, tenantId, name, Buffer.buffer(hash), last4))
                .map(rows -> toKey(rows.iterator().next()));
    }

    public Future<Optional<StoredKey>> find(String keyId) {
        return client.preparedQuery("SELECT id, tenant_id, name, secret_hash, last4, created_at, expires_at, revoked_at"
                        + " FROM api_keys WHERE id = $1")
                .execute(Tuple.of(keyId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toKey(rows.iterator().next())));
    }

    private static StoredKey toKey(Row r) {
        return new StoredKey(r.getString("id"), r.getString("tenant_id"), r.getString("name"),
                r.getBuffer("secret_hash").getBytes(), r.getString("last4"), r.getOffsetDateTime("created_at"),
                r.getOffsetDateTime("expires_at"), r.getOffsetDateTime("revoked_at"));
    }
}
