package io.lmaas.gateway.batches;

import io.lmaas.core.files.FileRecord;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.gpu.JobResources;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Batches: jobs of kind {@code batch} (SQL only). A batch is created queued and is admitted and run by the scheduler
 * like a fine-tuning job; what is batch-specific is here: its cancellation (at once while no worker was admitted for
 * it, otherwise asked of the worker) and its end, recorded with its output files in one transaction.
 */
public final class BatchRepository {
    private final Pool pool;
    private final JobRepository jobs;

    public BatchRepository(Pool pool) {
        this.pool = pool;
        this.jobs = new JobRepository(pool);
    }

    public Future<BatchRecord> create(String id, String tenantId, JobResources resources, JsonObject spec) {
        return jobs.create(id, tenantId, "batch", JobRecord.QUEUED, resources.priority(), resources.flavors(), resources.gpus(), spec)
                .map(BatchRecord::of);
    }

    public Future<BatchRecord> find(String tenantId, String id) {
        return jobs.find(id).map(j -> j == null || !"batch".equals(j.kind()) || !j.tenantId().equals(tenantId) ? null
                : BatchRecord.of(j));
    }

    public Future<List<BatchRecord>> list(String tenantId, String after, int limit) {
        return jobs.listForTenant(tenantId, "batch", after, limit).map(list -> list.stream().map(BatchRecord::of).toList());
    }

    /** What a cancel did. */
    public enum Cancel {
        /** No worker was admitted for it: it ended now (its committed lines, if a preempted attempt left any, are kept). */
        ENDED,
        /** A worker runs it (or will, once admitted again): asked to stop; it ends cancelled when the worker has stopped. */
        ASKED,
        /** It had already ended. */
        NOT_ACTIVE
    }

    /** Cancels a batch that has not ended. */
    public Future<Cancel> cancel(String tenantId, String id) {
        Tuple args = Tuple.of(id, tenantId, new JsonObject().put("cancelling_at", now()));
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE jobs SET status = 'cancelled', reason = NULL, finished_at = now(),"
                        + " updated_at = now(), result = coalesce(result, '{}'::jsonb) || $3 || jsonb_build_object('cancelled_at',"
                        + " extract(epoch FROM now())::bigint) WHERE id = $1 AND tenant_id = $2 AND kind = 'batch'"
                        + " AND status = 'queued' AND admitted_flavor IS NULL").execute(args)
                .compose(ended -> ended.rowCount() == 1
                        ? event(tx, id, "cancelled", "batch cancelled before it ran").map(Cancel.ENDED)
                        : askWorker(tx, id, args)));
    }

    /** A batch a worker was admitted for: {@code cancelling_at} for its worker to see (once; a second cancel finds it asked). */
    private static Future<Cancel> askWorker(io.vertx.sqlclient.SqlConnection tx, String id, Tuple args) {
        return tx.preparedQuery("UPDATE jobs SET updated_at = now(), result = coalesce(result, '{}'::jsonb) || $3"
                        + " WHERE id = $1 AND tenant_id = $2 AND kind = 'batch' AND status IN ('queued', 'running')"
                        + " AND result->'cancelling_at' IS NULL").execute(args)
                .compose(asked -> asked.rowCount() == 1 ? event(tx, id, "cancelling", "cancel asked of the batch worker").map(Cancel.ASKED)
                        : tx.preparedQuery("SELECT 1 FROM jobs WHERE id = $1 AND status IN ('queued', 'running')").execute(Tuple.of(id))
                                .map(r -> r.size() == 1 ? Cancel.ASKED : Cancel.NOT_ACTIVE));
    }

    /** Merges {@code fields} into the result while {@code attempt} is the batch's active one (progress, timestamps). */
    public Future<Boolean> progress(String id, int attempt, JsonObject fields) {
        return pool.preparedQuery("UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || $3, updated_at = now()"
                        + " WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running')")
                .execute(Tuple.of(id, attempt, fields)).map(r -> r.rowCount() == 1);
    }

    /**
     * Ends the batch's {@code attempt} ({@code succeeded}, {@code failed} or {@code cancelled}) with its last result fields and
     * its output files, in one transaction: false (and nothing written) if the attempt is no longer the batch's active one.
     */
    public Future<Boolean> finish(String id, int attempt, String status, JsonObject fields, String message, List<FileRecord> outputs) {
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE jobs SET status = $3, reason = CASE WHEN $3 = 'failed' THEN $5"
                        + " ELSE NULL END, result = coalesce(result, '{}'::jsonb) || $4, finished_at = now(), updated_at = now()"
                        + " WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running')")
                .execute(Tuple.of(id, attempt, status, fields, message)).compose(r -> {
                    if (r.rowCount() == 0) {
                        return Future.succeededFuture(false);
                    }
                    return event(tx, id, status, message).compose(v -> insertAll(tx, outputs)).map(true);
                }));
    }

    /** Records the output files of a batch that ended without a worker (cancelled while queued) and names them in its result. */
    public Future<Void> recordFiles(String id, BatchOutputs.Written w) {
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || $2,"
                + " updated_at = now() WHERE id = $1").execute(Tuple.of(id, w.fields())).compose(v -> insertAll(tx, w.files())));
    }

    private static Future<Void> insertAll(io.vertx.sqlclient.SqlClient tx, List<FileRecord> files) {
        Future<Void> chain = Future.succeededFuture();
        for (FileRecord f : files) {
            chain = chain.compose(v -> FileRepository.insert(tx, f).mapEmpty());
        }
        return chain;
    }

    private static Future<Void> event(io.vertx.sqlclient.SqlClient tx, String id, String type, String message) {
        return tx.preparedQuery("INSERT INTO job_events (job_id, level, type, message) VALUES ($1, $2, $3, $4)")
                .execute(Tuple.of(id, "failed".equals(type) ? "error" : "info", type, message)).mapEmpty();
    }

    static long now() {
        return java.time.Instant.now().getEpochSecond();
    }
}
