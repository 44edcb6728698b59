package io.lmaas.core.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Jobs and their events (SQL only). Every state change the scheduler makes is conditional on the state it
 * read (so a stale scheduler cannot undo a newer decision) and writes its event in the same transaction.
 */
public final class JobRepository {
    private static final String COLUMNS = "id, tenant_id, kind, status, reason, priority, gpu_flavors, gpus, admitted_flavor,"
            + " admitted_at, attempt, created_at, spec, result, finished_at";

    private final Pool pool;

    public JobRepository(Pool pool) {
        this.pool = pool;
    }

    /** Creates a queued job; returns it. */
    public Future<JobRecord> create(String id, String tenantId, String kind, int priority, List<String> gpuFlavors, int gpus,
            JsonObject spec) {
        return create(id, tenantId, kind, JobRecord.QUEUED, priority, gpuFlavors, gpus, spec);
    }

    /** Creates a job in {@code status} ({@code queued}, or {@code validating_files} until {@link #validated}); returns it. */
    public Future<JobRecord> create(String id, String tenantId, String kind, String status, int priority, List<String> gpuFlavors,
            int gpus, JsonObject spec) {
        return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO jobs (id, tenant_id, kind, status, priority,"
                        + " gpu_flavors, gpus, spec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " + COLUMNS)
                .execute(Tuple.tuple(List.of(id, tenantId, kind, status, priority, gpuFlavors.toArray(new String[0]), gpus, spec)))
                .compose(rows -> event(conn, id, "info", status, JobRecord.QUEUED.equals(status) ? "job queued"
                        : "validating the job's files", null).map(rows.iterator().next()))
                .map(JobRepository::job));
    }

    /** The files were checked: queued, or failed with {@code error} (null when valid). */
    public Future<Boolean> validated(String id, String error) {
        return error == null
                ? change(id, "UPDATE jobs SET status = 'queued', updated_at = now() WHERE id = $1 AND status = 'validating_files'",
                        Tuple.of(id), "info", "queued", "files validated; job queued")
                : change(id, "UPDATE jobs SET status = 'failed', reason = $2, finished_at = now(), updated_at = now()"
                        + " WHERE id = $1 AND status = 'validating_files'", Tuple.of(id, error), "error", "failed", error);
    }

    /** Cancels a job that has not ended: true if it was cancelled now. */
    public Future<Boolean> cancel(String id) {
        return change(id, "UPDATE jobs SET status = 'cancelled', reason = NULL, finished_at = now(), updated_at = now()"
                + " WHERE id = $1 AND status IN ('validating_files', 'queued', 'running')", Tuple.of(id), "info", "cancelled",
                "job cancelled");
    }

    /** The job's attempt succeeded: its result (e.g. fine_tuned_model, trained_tokens) is recorded with the status. */
    public Future<Boolean> succeeded(String id, int attempt, JsonObject result, String message) {
        return change(id, "UPDATE jobs SET status = 'succeeded', result = $3, reason = NULL, finished_at = now(), updated_at = now()"
                + " WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running')", Tuple.of(id, attempt, result), "info",
                "succeeded", message);
    }

    /** A metrics or progress event ({@code type} metrics: {@code data} holds step, train_loss, ...). */
    public Future<Void> note(String id, String level, String type, String message, JsonObject data) {
        return event(pool, id, level, type, message, data);
    }

    /** Merges {@code fields} into the job's result (progress: trained_tokens, estimated_finish). */
    public Future<Void> progress(String id, JsonObject fields) {
        return pool.preparedQuery("UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || $2, updated_at = now() WHERE id = $1")
                .execute(Tuple.of(id, fields)).mapEmpty();
    }

    /** Records a checkpoint (one per epoch; a resumed attempt overwrites the same epoch's). */
    public Future<Void> checkpoint(String id, int epoch, int step, String artifactUri, JsonObject metrics) {
        return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO job_checkpoints (job_id, epoch, step, artifact_uri, metrics)"
                        + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id, epoch) DO UPDATE SET step = $3, artifact_uri = $4,"
                        + " metrics = $5, created_at = now()")
                .execute(Tuple.of(id, epoch, step, artifactUri, metrics))
                .compose(v -> event(conn, id, "info", "checkpoint", "checkpoint after epoch " + epoch + " (step " + step + ")",
                        new JsonObject().put("epoch", epoch).put("step", step))));
    }

    /** A job's checkpoints, oldest first. */
    public Future<List<Checkpoint>> checkpoints(String id) {
        return pool.preparedQuery("SELECT id, epoch, step, artifact_uri, metrics, created_at FROM job_checkpoints WHERE job_id = $1"
                        + " ORDER BY epoch").execute(Tuple.of(id)).map(rows -> {
                    List<Checkpoint> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new Checkpoint(r.getLong("id"), r.getInteger("epoch"), r.getInteger("step"),
                            r.getString("artifact_uri"), r.getJsonObject("metrics"), r.getOffsetDateTime("created_at"))));
                    return out;
                });
    }

    /** A checkpoint: a servable model version directory written after an epoch. */
    public record Checkpoint(long id, int epoch, int step, String artifactUri, JsonObject metrics, OffsetDateTime createdAt) {
    }

    public Future<JobRecord> find(String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM jobs WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
    }

    /** A tenant's jobs of a kind, newest first. */
    public Future<List<JobRecord>> listForTenant(String tenantId, String kind, int limit) {
        return listForTenant(tenantId, kind, null, limit);
    }

    /** A tenant's jobs of a kind, newest first, after a job id (cursor). */
    public Future<List<JobRecord>> listForTenant(String tenantId, String kind, String after, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM jobs WHERE tenant_id = $1 AND kind = $2"
                        + " AND ($3::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM jobs WHERE id = $3))"
                        + " ORDER BY created_at DESC, id DESC LIMIT $4")
                .execute(Tuple.of(tenantId, kind, after, limit)).map(rows -> {
                    List<JobRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(job(r)));
                    return out;
                });
    }

    /**
     * Jobs of every kind for the console, newest first: of the given tenants (null: all), of a status (null:
     * any), after a job id (cursor).
     */
    public Future<List<JobRecord>> list(List<String> tenants, String status, String after, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM jobs WHERE ($1::text[] IS NULL OR tenant_id = ANY($1))"
                        + " AND ($2::text IS NULL OR status = $2)"
                        + " AND ($3::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM jobs WHERE id = $3))"
                        + " ORDER BY created_at DESC, id DESC LIMIT $4")
                .execute(Tuple.tuple().addArrayOfString(tenants == null ? null : tenants.toArray(new String[0])).addString(status)
                        .addString(after).addInteger(limit)).map(rows -> {
                    List<JobRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(job(r)));
                    return out;
                });
    }

    /** A tenant's worker-seconds of a kind of job since a time (the fine-tuning budget's use). */
    public Future<Double> computeSeconds(String tenantId, String endpoint, OffsetDateTime since) {
        return pool.preparedQuery("SELECT coalesce(sum(compute_seconds), 0)::float8 AS s FROM usage_ledger"
                        + " WHERE tenant_id = $1 AND endpoint = $2 AND created_at >= $3")
                .execute(Tuple.of(tenantId, endpoint, since)).map(rows -> rows.iterator().next().getDouble("s"));
    }

    /** Jobs the scheduler looks after: queued and running. */
    public Future<List<JobRecord>> listActive() {
        return pool.query("SELECT " + COLUMNS + " FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id")
                .execute().map(rows -> {
                    List<JobRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(job(r)));
                    return out;
                });
    }

    /** Admission gave the job GPUs of {@code flavor}: true if it was still queued and unadmitted. */
    public Future<Boolean> admit(String id, String flavor, OffsetDateTime at, String message) {
        return change(id, "UPDATE jobs SET admitted_flavor = $2, admitted_at = $3, reason = NULL, updated_at = now()"
                + " WHERE id = $1 AND status = 'queued' AND admitted_flavor IS NULL", Tuple.of(id, flavor, at), "info", "admitted", message);
    }

    /** Why the job waits; an event only when the reason changed. */
    public Future<Boolean> waiting(String id, String reason) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE jobs SET reason = $2, updated_at = now()"
                        + " WHERE id = $1 AND status = 'queued' AND admitted_flavor IS NULL AND reason IS DISTINCT FROM $2")
                .execute(Tuple.of(id, reason))
                .compose(r -> r.rowCount() == 0 ? Future.succeededFuture(false)
                        : event(conn, id, "info", "waiting", reason, null).map(true)));
    }

    /** Takes an admitted job's GPUs back: queued again, under a new attempt. */
    public Future<Boolean> preempt(String id, int attempt, String reason) {
        return change(id, "UPDATE jobs SET status = 'queued', admitted_flavor = NULL, admitted_at = NULL, attempt = attempt + 1,"
                + " reason = $3, updated_at = now() WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running')",
                Tuple.of(id, attempt, reason), "warn", "preempted", reason);
    }

    /** The job's pod started. */
    public Future<Boolean> running(String id, int attempt, String message) {
        return change(id, "UPDATE jobs SET status = 'running', updated_at = now() WHERE id = $1 AND attempt = $2"
                + " AND status = 'queued' AND admitted_flavor IS NOT NULL", Tuple.of(id, attempt), "info", "running", message);
    }

    /** The job ended ({@code succeeded} or {@code failed}). */
    public Future<Boolean> finished(String id, int attempt, String status, String message) {
        return change(id, "UPDATE jobs SET status = $3, reason = CASE WHEN $3 = 'failed' THEN $4 ELSE NULL END,"
                        + " finished_at = now(), updated_at = now() WHERE id = $1 AND attempt = $2 AND status IN ('queued', 'running')",
                Tuple.of(id, attempt, status, message), JobRecord.FAILED.equals(status) ? "error" : "info", status, message);
    }

    /**
     * What the job's pod shows (e.g. why it cannot be scheduled), as a {@code pod} event — written only when
     * it differs from the job's latest event, so a pod watched for an hour is not an hour of events.
     */
    public Future<Boolean> podEvent(String id, String level, String message) {
        return pool.preparedQuery("INSERT INTO job_events (job_id, level, type, message) SELECT $1, $2, 'pod', $3"
                        + " WHERE (SELECT message FROM job_events WHERE job_id = $1 ORDER BY id DESC LIMIT 1) IS DISTINCT FROM $3"
                        + " AND EXISTS (SELECT 1 FROM jobs WHERE id = $1 AND status IN ('queued', 'running'))")
                .execute(Tuple.of(id, level, message)).map(r -> r.rowCount() == 1);
    }

    /** Events of a job, oldest first. */
    public Future<List<JobEvent>> events(String id) {
        return pool.preparedQuery("SELECT id, at, level, type, message, data FROM job_events WHERE job_id = $1 ORDER BY id")
                .execute(Tuple.of(id)).map(rows -> {
                    List<JobEvent> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new JobEvent(r.getLong("id"), r.getOffsetDateTime("at"), r.getString("level"),
                            r.getString("type"), r.getString("message"), r.getJsonObject("data"))));
                    return out;
                });
    }

    private Future<Boolean> change(String id, String sql, Tuple args, String level, String type, String message) {
        return pool.withTransaction(conn -> conn.preparedQuery(sql).execute(args)
                .compose(r -> r.rowCount() == 0 ? Future.succeededFuture(false)
                        : event(conn, id, level, type, message, null).map(true)));
    }

    private static Future<Void> event(io.vertx.sqlclient.SqlClient conn, String jobId, String level, String type, String message,
            JsonObject data) {
        return conn.preparedQuery("INSERT INTO job_events (job_id, level, type, message, data) VALUES ($1, $2, $3, $4, $5)")
                .execute(Tuple.of(jobId, level, type, message, data)).mapEmpty();
    }

    private static JobRecord job(Row r) {
        String[] flavors = r.getArrayOfStrings("gpu_flavors");
        return new JobRecord(r.getString("id"), r.getString("tenant_id"), r.getString("kind"), r.getString("status"),
                r.getString("reason"), r.getInteger("priority"), flavors == null ? List.of() : Arrays.asList(flavors),
                r.getInteger("gpus"), r.getString("admitted_flavor"), r.getOffsetDateTime("admitted_at"), r.getInteger("attempt"),
                r.getOffsetDateTime("created_at"), r.getJsonObject("spec"), r.getJsonObject("result"), r.getOffsetDateTime("finished_at"));
    }
}
