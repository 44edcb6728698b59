package io.lmaas.gateway.files;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * A tenant's retention settings: how many days uploaded files and batch outputs are kept (null: until deleted), and
 * zero retention (training files deleted when their job ends, batch outputs when downloaded or after a day).
 * Parsing is pure; {@link #find} and {@link #put} are its SQL. {@link RetentionSweeper} enforces them.
 */
public record Retention(Integer filesDays, Integer batchOutputsDays, boolean zero) {
    public static final Retention KEEP = new Retention(null, null, false);
    static final int MAX_DAYS = 36_500;

    public JsonObject toJson(String tenantId) {
        return new JsonObject().put("object", "retention").put("tenant_id", tenantId).put("files_days", filesDays)
                .put("batch_outputs_days", batchOutputsDays).put("zero_retention", zero);
    }

    public static Retention parse(JsonObject body) {
        return new Retention(days(body, "files_days"), days(body, "batch_outputs_days"),
                Boolean.TRUE.equals(body.getValue("zero_retention")));
    }

    private static Integer days(JsonObject body, String field) {
        Object v = body.getValue(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 1 || n.longValue() > MAX_DAYS) {
            throw ApiException.invalidParam(field, "'" + field + "' must be null or a number of days from 1 to " + MAX_DAYS);
        }
        return n.intValue();
    }

    public static Future<Retention> find(SqlClient client, String tenantId) {
        return client.preparedQuery("SELECT files_days, batch_outputs_days, zero_retention FROM tenant_retention WHERE tenant_id = $1")
                .execute(Tuple.of(tenantId)).map(rows -> rows.size() == 0 ? KEEP : new Retention(rows.iterator().next().getInteger(0),
                        rows.iterator().next().getInteger(1), rows.iterator().next().getBoolean(2)));
    }

    public static Future<Void> put(SqlClient client, String tenantId, Retention r) {
        return client.preparedQuery("INSERT INTO tenant_retention (tenant_id, files_days, batch_outputs_days, zero_retention)"
                        + " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET files_days = EXCLUDED.files_days,"
                        + " batch_outputs_days = EXCLUDED.batch_outputs_days, zero_retention = EXCLUDED.zero_retention, updated_at = now()")
                .execute(Tuple.of(tenantId, r.filesDays(), r.batchOutputsDays(), r.zero())).mapEmpty();
    }
}
