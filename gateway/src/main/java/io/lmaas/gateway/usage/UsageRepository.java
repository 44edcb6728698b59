package io.lmaas.gateway.usage;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** The usage ledger (SQL only). The request id is the primary key: a row is written at most once. */
public final class UsageRepository {
    private static final String WINDOW = " WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)"
            + " AND ($3::timestamptz IS NULL OR created_at < $3)";

    private final Pool pool;

    public UsageRepository(Pool pool) {
        this.pool = pool;
    }

    public Future<Void> insert(UsageRow row) {
        return pool.preparedQuery("INSERT INTO usage_ledger (request_id, tenant_id, key_id, model, endpoint, prompt_tokens,"
                        + " completion_tokens, status, error_code, latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                        + " ON CONFLICT (request_id) DO NOTHING")
                .execute(Tuple.from(new Object[] {row.requestId(), row.tenantId(), row.keyId(), row.model(), row.endpoint(),
                    row.promptTokens(), row.completionTokens(), row.status(), row.errorCode(), (int) row.latencyMs()}))
                .mapEmpty();
    }

    /** The newest rows first. */
    public Future<List<UsageRow>> list(String tenantId, OffsetDateTime start, OffsetDateTime end, int limit) {
        return pool.preparedQuery("SELECT request_id, tenant_id, key_id, model, endpoint, prompt_tokens, completion_tokens,"
                        + " status, error_code, latency_ms, created_at FROM usage_ledger" + WINDOW
                        + " ORDER BY created_at DESC, request_id LIMIT $4")
                .execute(Tuple.of(tenantId, start, end, limit))
                .map(rows -> {
                    List<UsageRow> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new UsageRow(r.getString("request_id"), r.getString("tenant_id"), r.getString("key_id"),
                                r.getString("model"), r.getString("endpoint"), r.getInteger("prompt_tokens"),
                                r.getInteger("completion_tokens"), r.getInteger("status"), r.getString("error_code"),
                                r.getInteger("latency_ms"), r.getOffsetDateTime("created_at")));
                    }
                    return out;
                });
    }

    public Future<UsageTotals> totals(String tenantId, OffsetDateTime start, OffsetDateTime end) {
        return pool.preparedQuery("SELECT count(*) AS requests, coalesce(sum(prompt_tokens), 0) AS prompt,"
                        + " coalesce(sum(completion_tokens), 0) AS completion FROM usage_ledger" + WINDOW)
                .execute(Tuple.of(tenantId, start, end))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return new UsageTotals(r.getLong("requests"), r.getLong("prompt"), r.getLong("completion"));
                });
    }
}
