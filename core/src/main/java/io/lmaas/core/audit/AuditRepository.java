package io.lmaas.core.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/** Append-only audit log of admin mutations (SQL only). Details must never carry a secret. */
public final class AuditRepository {
    private AuditRepository() {
    }

    /** Writes one audit row with the given client (pass the transaction's connection to make it atomic). */
    public static Future<Void> record(SqlClient client, String actor, String action, String targetType, String targetId,
            String tenantId, JsonObject details) {
        return client.preparedQuery("INSERT INTO audit_log (actor, action, target_type, target_id, tenant_id, details)"
                        + " VALUES ($1, $2, $3, $4, $5, $6)")
                .execute(Tuple.of(actor, action, targetType, targetId, tenantId, details))
                .mapEmpty();
    }
}
