package io.lmaas.core.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** Append-only audit log of admin mutations (SQL only). Before/after views must never carry a secret. */
public final class AuditRepository {

    /** One audit row. */
    public record Entry(long id, OffsetDateTime at, String actor, String action, String targetType, String targetId,
            String tenantId, JsonObject before, JsonObject after) {

        public JsonObject toJson() {
            return new JsonObject().put("id", id).put("object", "audit_entry").put("at", at.toEpochSecond())
                    .put("actor", actor).put("action", action).put("target_type", targetType).put("target_id", targetId)
                    .put("tenant_id", tenantId).put("before", before).put("after", after);
        }
    }

    private AuditRepository() {
    }

    /** Writes one audit row with the given client (pass the transaction's connection to make it atomic). */
    public static Future<Void> record(SqlClient client, String actor, String action, String targetType, String targetId,
            String tenantId, JsonObject before, JsonObject after) {
        return client.preparedQuery("INSERT INTO audit_log (actor, action, target_type, target_id, tenant_id, before, after)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .execute(Tuple.from(new Object[] {actor, action, targetType, targetId, tenantId, before, after}))
                .mapEmpty();
    }

    /** Newest first; {@code beforeId} pages backwards; {@code tenantId} null = every tenant. */
    public static Future<List<Entry>> list(SqlClient client, String tenantId, Long beforeId, int limit) {
        return client.preparedQuery("SELECT id, at, actor, action, target_type, target_id, tenant_id, before, after"
                        + " FROM audit_log WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::bigint IS NULL OR id < $2)"
                        + " ORDER BY id DESC LIMIT $3")
                .execute(Tuple.of(tenantId, beforeId, limit))
                .map(rows -> {
                    List<Entry> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new Entry(r.getLong("id"), r.getOffsetDateTime("at"), r.getString("actor"),
                                r.getString("action"), r.getString("target_type"), r.getString("target_id"),
                                r.getString("tenant_id"), (JsonObject) r.getValue("before"), (JsonObject) r.getValue("after")));
                    }
                    return out;
                });
    }
}
