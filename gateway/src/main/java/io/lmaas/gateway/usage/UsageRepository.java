package io.lmaas.gateway.usage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** Reads of the usage ledger and its daily roll-ups (SQL only); writes go through {@link LedgerWriter}. */
public final class UsageRepository {
    private final Pool pool;

    public UsageRepository(Pool pool) {
        this.pool = pool;
    }

    /** Ledger rows, newest first. */
    public Future<List<UsageRow>> list(String tenantId, OffsetDateTime start, OffsetDateTime end, int limit) {
        return pool.preparedQuery("SELECT request_id, client_request_id, gateway_id, tenant_id, key_id, model, endpoint,"
                        + " prompt_tokens, completion_tokens, status, error_code, latency_ms, created_at, compute_seconds::float8 AS cs"
                        + " FROM usage_ledger"
                        + " WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)"
                        + " AND ($3::timestamptz IS NULL OR created_at < $3) ORDER BY created_at DESC, request_id LIMIT $4")
                .execute(Tuple.of(tenantId, start, end, limit))
                .map(rows -> {
                    List<UsageRow> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new UsageRow(r.getString("request_id"), r.getString("client_request_id"),
                                r.getString("gateway_id"), r.getString("tenant_id"), r.getString("key_id"),
                                r.getString("model"), r.getString("endpoint"), r.getInteger("prompt_tokens"),
                                r.getInteger("completion_tokens"), r.getInteger("status"), r.getString("error_code"),
                                r.getInteger("latency_ms"), r.getOffsetDateTime("created_at"), r.getDouble("cs")));
                    }
                    return out;
                });
    }

    /**
     * Sums from the daily roll-ups over [{@code from}, {@code to}) UTC days, grouped by {@code groupBy}
     * ({@code day}, {@code model}, {@code key} or null for one total row). Exact at the moment of the read: the roll-ups
     * and the ledger rows past the daily pass's watermark ({@link UsageRollup}) are read in one statement, so one
     * snapshot, in which a row is in exactly one of them.
     */
    public Future<List<JsonObject>> summary(String tenantId, LocalDate from, LocalDate to, String groupBy) {
        String column = groupBy == null ? null : switch (groupBy) {
            case "day" -> "day";
            case "model" -> "model";
            case "key" -> "key_id";
            default -> throw new IllegalArgumentException(groupBy);
        };
        String select = column == null ? "" : column + " AS grp, ";
        String group = column == null ? "" : " GROUP BY " + column + " ORDER BY " + column;
        return pool.preparedQuery(TAIL + "SELECT " + select + "coalesce(sum(requests), 0) AS requests, coalesce(sum(errors), 0) AS errors,"
                        + " coalesce(sum(prompt_tokens), 0) AS prompt, coalesce(sum(completion_tokens), 0) AS completion,"
                        + " coalesce(sum(compute_seconds), 0)::float8 AS compute_seconds FROM (" + DAYS + ") d"
                        + " WHERE ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day < $3)" + group)
                .execute(Tuple.of(tenantId, from, to))
                .map(rows -> {
                    List<JsonObject> out = new ArrayList<>();
                    for (Row r : rows) {
                        JsonObject o = new JsonObject();
                        if (column != null) {
                            Object g = r.getValue("grp");
                            String name = groupBy.equals("key") ? "key_id" : groupBy;
                            o.put(name, g instanceof LocalDate d ? d.toString() : emptyToNull((String) g));
                        }
                        long prompt = r.getLong("prompt");
                        long completion = r.getLong("completion");
                        out.add(o.put("requests", r.getLong("requests")).put("errors", r.getLong("errors"))
                                .put("prompt_tokens", prompt).put("completion_tokens", completion)
                                .put("total_tokens", prompt + completion).put("compute_seconds", r.getDouble("compute_seconds")));
                    }
                    return out;
                });
    }

    /**
     * The rows the daily pass has not added to the roll-ups yet: every tenant's, found through the BRIN index on
     * {@code xact} (the upper bound, always true of a visible row, is what lets the planner see a narrow range), then
     * filtered. Materialized, so that a report's cost follows the rows written since the last pass (a pass runs every
     * 2 s) and never the tenant's whole history, as a plan through the tenant's index would.
     */
    private static final String TAIL = "WITH tail AS MATERIALIZED (SELECT l.tenant_id, l.created_at, l.key_id, l.model, l.status,"
            + " l.prompt_tokens, l.completion_tokens FROM usage_ledger l WHERE l.daily_by_pass"
            + " AND l.xact >= (SELECT xact_watermark FROM usage_rollup_state WHERE name = 'daily')"
            + " AND l.xact < pg_snapshot_xmax(pg_current_snapshot())::text::bigint) ";

    /** Tenant $1's days: the roll-ups, and the rows the daily pass has not added to them yet, as days of their own. */
    private static final String DAYS = "SELECT day, key_id, model, requests, errors, prompt_tokens, completion_tokens,"
            + " compute_seconds FROM usage_daily WHERE tenant_id = $1"
            + " UNION ALL SELECT (t.created_at AT TIME ZONE 'UTC')::date, coalesce(t.key_id, ''), coalesce(t.model, ''), 1,"
            + " (t.status >= 400)::int, t.prompt_tokens, t.completion_tokens, 0 FROM tail t WHERE t.tenant_id = $1";

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
