package io.lmaas.gateway.files;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.tasks.PeriodicTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the tenants' {@link Retention} off the request path: every so often one gateway (the files are taken
 * {@code FOR UPDATE SKIP LOCKED}) marks the due files deleted — past their tenant's days, or under zero retention a
 * training file whose job ended and a batch output downloaded or a day old — records each in the audit log (actor
 * {@code system:retention}, action {@code file.expire}, with the reason) in the same transaction, then removes their
 * content from the store. A file that a job or batch still running uses is never due. The same pass removes the
 * plaintext a gateway that died mid-upload left in the upload area.
 */
public final class RetentionSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionSweeper.class);
    private static final String USED_BY = "(j.spec->>'training_file' = f.id OR j.spec->>'validation_file' = f.id"
            + " OR j.spec->>'input_file_id' = f.id)";
    /** Why a file is due ({@code f}, under its tenant's settings {@code r}), zero retention first; null when it is not. */
    private static final String REASON = "CASE"
            + " WHEN r.zero_retention AND f.purpose = 'batch_output' AND (f.downloaded_at IS NOT NULL"
            + " OR f.created_at < now() - interval '1 day') THEN 'zero retention: a batch output downloaded or a day old'"
            + " WHEN r.zero_retention AND f.purpose = 'fine-tune' AND EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = f.tenant_id"
            + " AND j.finished_at IS NOT NULL AND " + USED_BY + ") THEN 'zero retention: its fine-tuning job ended'"
            + " WHEN f.purpose = 'batch_output' AND f.created_at < now() - make_interval(days => r.batch_outputs_days)"
            + " THEN 'retention period'"
            + " WHEN f.purpose <> 'batch_output' AND f.created_at < now() - make_interval(days => r.files_days) THEN 'retention period'"
            + " END"; // (a null number of days makes its comparison null: never due)
    private static final String SWEEP = "WITH due AS ("
            + " SELECT f.id, f.tenant_id, f.purpose, f.artifact_uri, x.reason"
            + " FROM files f JOIN tenant_retention r ON r.tenant_id = f.tenant_id CROSS JOIN LATERAL (SELECT " + REASON + " AS reason) x"
            + " WHERE f.deleted_at IS NULL AND x.reason IS NOT NULL"
            + " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = f.tenant_id AND j.finished_at IS NULL AND " + USED_BY + ")"
            + " ORDER BY f.id LIMIT 500 FOR UPDATE OF f SKIP LOCKED),"
            + " gone AS (UPDATE files SET deleted_at = now() FROM due WHERE files.id = due.id RETURNING due.*),"
            + " audited AS (INSERT INTO audit_log (actor, action, target_type, target_id, tenant_id, before, after)"
            + " SELECT 'system:retention', 'file.expire', 'file', id, tenant_id, jsonb_build_object('purpose', purpose),"
            + " jsonb_build_object('reason', reason) FROM gone)"
            + " SELECT id, artifact_uri FROM gone";

    private final Vertx vertx;
    private final Pool pool;
    private final Path uploads;
    private final Duration uploadTimeout;
    private PeriodicTask task;

    /** {@code uploads}: the store's upload area, where a file not written for {@code uploadTimeout} is a leftover. */
    public RetentionSweeper(Vertx vertx, Pool pool, Path uploads, Duration uploadTimeout) {
        this.vertx = vertx;
        this.pool = pool;
        this.uploads = uploads;
        this.uploadTimeout = uploadTimeout;
    }

    /** Every {@code every}: a sweep, then the upload area's leftovers ({@link UploadLeftovers}). */
    public void start(Duration every) {
        task = PeriodicTask.start(vertx, every, () -> runOnce().compose(n -> removeUploadLeftovers()), LOG, "retention sweep");
    }

    /** The upload area's files that no upload has written for longer than an upload may take; how many went. */
    public Future<Integer> removeUploadLeftovers() {
        return vertx.executeBlocking(() -> UploadLeftovers.remove(uploads, uploadTimeout, Instant.now()), false);
    }

    /** One sweep: the due files marked deleted and audited (one transaction), then their content removed. How many. */
    public Future<Integer> runOnce() {
        return pool.withTransaction(conn -> conn.query(SWEEP).execute()).compose(rows -> {
            List<String> uris = new ArrayList<>();
            for (Row r : rows) {
                uris.add(r.getString("artifact_uri"));
            }
            return uris.isEmpty() ? Future.succeededFuture(0) : vertx.executeBlocking(() -> {
                for (String uri : uris) {
                    Files.deleteIfExists(ArtifactStore.path(uri));
                }
                return uris.size();
            });
        });
    }

    public void close() {
        if (task != null) {
            task.close();
        }
    }
}
