package io.lmaas.gateway.batches;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Batches (jobs of kind {@code batch}; SQL only). A gateway replica claims a batch to run with
 * {@code FOR UPDATE SKIP LOCKED}, so each runs on one replica; a claim whose runner stopped beating for a
 * minute is taken over (the batch runs again from its first line).
 */
public final class BatchRepository {
    private static final String COLUMNS = "id, tenant_id, status, spec, result, created_at";

    private final Pool pool;

    public BatchRepository(Pool pool) {
        this.pool = pool;
    }

    public Future<BatchRecord> create(String id, String tenantId, JsonObject spec) {
        return pool.preparedQuery("INSERT INTO jobs (id, tenant_id, kind, status, spec, result) VALUES ($1, $2, 'batch', 'validating',"
                        + " $3, '{}'::jsonb) RETURNING " + COLUMNS)
                .execute(Tuple.of(id, tenantId, spec)).map(rows -> batch(rows.iterator().next()));
    }

    public Future<BatchRecord> find(String tenantId, String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM jobs WHERE id = $1 AND tenant_id = $2 AND kind = 'batch'")
                .execute(Tuple.of(id, tenantId)).map(rows -> rows.size() == 0 ? null : batch(rows.iterator().next()));
    }

    public Future<String> status(String id) {
        return pool.preparedQuery("SELECT status FROM jobs WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("status"));
    }

    public Future<List<BatchRecord>> list(String tenantId, String after, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM jobs WHERE tenant_id = $1 AND kind = 'batch'"
                        + " AND ($2::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM jobs WHERE id = $2))"
                        + " ORDER BY created_at DESC, id DESC LIMIT $3")
                .execute(Tuple.of(tenantId, after, limit)).map(rows -> {
                    List<BatchRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(batch(r)));
                    return out;
                });
    }

    /** Claims one batch to run (validating, or in progress under a runner silent for a minute); null if none. */
    public Future<BatchRecord> claim(String runner) {
        return pool.preparedQuery("UPDATE jobs SET status = 'in_progress', updated_at = now(),"
                        + " result = coalesce(result, '{}'::jsonb) || jsonb_build_object('runner', $1::text,"
                        + " 'in_progress_at', extract(epoch FROM now())::bigint)"
                        + " WHERE id = (SELECT id FROM jobs WHERE kind = 'batch' AND (status = 'validating'"
                        + " OR (status = 'in_progress' AND updated_at < now() - interval '60 seconds'))"
                        + " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                .execute(Tuple.of(runner)).map(rows -> rows.size() == 0 ? null : batch(rows.iterator().next()));
    }

    /** Merges {@code fields} into the result (counts, file ids, timestamps); also the runner's heartbeat. */
    public Future<Void> update(String id, JsonObject fields) {
        return pool.preparedQuery("UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || $2, updated_at = now() WHERE id = $1")
                .execute(Tuple.of(id, fields)).mapEmpty();
    }

    /** Ends a batch: {@code completed}, {@code failed} or {@code cancelled}, with its last result fields. */
    public Future<Void> finish(String id, String status, JsonObject fields) {
        return pool.preparedQuery("UPDATE jobs SET status = $2, result = coalesce(result, '{}'::jsonb) || $3,"
                        + " finished_at = now(), updated_at = now() WHERE id = $1")
                .execute(Tuple.of(id, status, fields)).mapEmpty();
    }

    /** Asks a batch that has not ended to stop: true if it was validating or in progress. */
    public Future<Boolean> cancel(String tenantId, String id) {
        return pool.preparedQuery("UPDATE jobs SET status = CASE WHEN status = 'validating' THEN 'cancelled' ELSE 'cancelling' END,"
                        + " result = coalesce(result, '{}'::jsonb) || jsonb_build_object('cancelling_at', extract(epoch FROM now())::bigint),"
                        + " updated_at = now() WHERE id = $1 AND tenant_id = $2 AND kind = 'batch' AND status IN ('validating', 'in_progress')")
                .execute(Tuple.of(id, tenantId)).map(r -> r.rowCount() == 1);
    }

    private static BatchRecord batch(Row r) {
        return new BatchRecord(r.getString("id"), r.getString("tenant_id"), r.getString("status"), r.getJsonObject("spec"),
                r.getJsonObject("result"), r.getOffsetDateTime("created_at"));
    }
}
