package io.lmaas.core.deployments;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.ids.Ids;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** Desired deployments (SQL only). */
public final class DeploymentRepository {
    private final Pool pool;

    public DeploymentRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Makes sure the model version has a deployment; returns its id. An existing deployment of the same
     * model version is kept as it is (its replica count may have been changed by an operator).
     */
    public Future<String> ensure(String modelId, String version, int replicas) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("SELECT id FROM deployments WHERE model_id = $1 AND version = $2 AND NOT deleting ORDER BY created_at LIMIT 1")
                .execute(Tuple.of(modelId, version))
                .compose(rows -> {
                    if (rows.size() > 0) {
                        return Future.succeededFuture(rows.iterator().next().getString("id"));
                    }
                    String id = Ids.deployment();
                    return conn.preparedQuery("INSERT INTO deployments (id, model_id, version, replicas, desired_revision)"
                                    + " VALUES ($1, $2, $3, $4, 1)")
                            .execute(Tuple.of(id, modelId, version, replicas))
                            .map(id);
                }));
    }

    /** Scales a deployment; false if there is none with that id. */
    public Future<Boolean> scale(String deploymentId, int replicas) {
        return pool.preparedQuery("UPDATE deployments SET replicas = $2, desired_revision = desired_revision + 1,"
                        + " updated_at = now() WHERE id = $1 AND NOT deleting")
                .execute(Tuple.of(deploymentId, replicas))
                .map(r -> r.rowCount() == 1);
    }

    /** A new deployment of the model version (GPUs per replica optional); returns its id. */
    public Future<String> create(String modelId, String version, int replicas, Integer gpuCount, String gpuFlavor) {
        String id = Ids.deployment();
        return pool.preparedQuery("INSERT INTO deployments (id, model_id, version, replicas, gpu_count, gpu_flavor,"
                        + " desired_revision) VALUES ($1, $2, $3, $4, $5, $6, 1)")
                .execute(Tuple.of(id, modelId, version, replicas, gpuCount, gpuFlavor))
                .map(id);
    }

    public Future<String> create(String modelId, String version, int replicas) {
        return create(modelId, version, replicas, null, null);
    }

    /**
     * Asks for a deployment's removal; false if there is none with that id. The row stays, marked, until
     * the scheduler has stopped what runs for it ({@link #purgeDeleting} locally; on Kubernetes once its
     * ModelDeployment is gone).
     */
    public Future<Boolean> delete(String deploymentId) {
        return pool.preparedQuery("UPDATE deployments SET deleting = true, desired_revision = desired_revision + 1,"
                        + " updated_at = now() WHERE id = $1 AND NOT deleting").execute(Tuple.of(deploymentId))
                .map(r -> r.rowCount() == 1);
    }

    /** Removes the rows marked for deletion, except those in {@code stillRunning} (their replicas are stopping). */
    public Future<Integer> purgeDeleting(java.util.Collection<String> stillRunning) {
        return pool.preparedQuery("DELETE FROM deployments WHERE deleting AND NOT (id = ANY($1))")
                .execute(Tuple.of(stillRunning.toArray(new String[0]))).map(r -> r.rowCount());
    }

    /** Removes a deployment row at once (its resource is gone). */
    public Future<Boolean> remove(String deploymentId) {
        return pool.preparedQuery("DELETE FROM deployments WHERE id = $1").execute(Tuple.of(deploymentId))
                .map(r -> r.rowCount() == 1);
    }

    /** Deployments with admin changes not yet written into their Kubernetes resources. */
    public Future<List<SyncRow>> pendingSync() {
        return pool.query("SELECT id, model_id, version, replicas, tenant_id, gpu_count, gpu_flavor, desired_revision, deleting"
                        + " FROM deployments WHERE desired_revision > synced_revision OR deleting ORDER BY id")
                .execute().map(rows -> {
                    List<SyncRow> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new SyncRow(r.getString("id"), r.getString("model_id"), r.getString("version"),
                                r.getInteger("replicas"), r.getString("tenant_id"), r.getInteger("gpu_count"),
                                r.getString("gpu_flavor"), r.getLong("desired_revision"), r.getBoolean("deleting")));
                    }
                    return out;
                });
    }

    /** Records that revision {@code revision} was written into the resource (unless the row changed since). */
    public Future<Boolean> markSynced(String deploymentId, long revision) {
        return pool.preparedQuery("UPDATE deployments SET synced_revision = $2 WHERE id = $1 AND desired_revision = $2")
                .execute(Tuple.of(deploymentId, revision)).map(r -> r.rowCount() == 1);
    }

    /** A deployment row as the Kubernetes sync needs it. */
    public record SyncRow(String id, String modelId, String version, int replicas, String tenantId, Integer gpuCount,
            String gpuFlavor, long desiredRevision, boolean deleting) {
    }

    /** Why a deployment defined elsewhere (a Kubernetes ModelDeployment) cannot be recorded, or OK. */
    public enum Recorded { OK, UNKNOWN_MODEL_VERSION, UNKNOWN_TENANT }

    /**
     * Records a deployment whose desired state lives elsewhere (Kubernetes) under its own id: inserted, or
     * updated when it differs. Refused (and nothing written) when its model version or tenant is unknown.
     */
    public Future<Recorded> record(String id, String modelId, String version, int replicas, String tenantId, Integer gpuCount,
            String gpuFlavor) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("SELECT (SELECT count(*) FROM model_versions WHERE model_id = $1 AND version = $2) AS versions,"
                        + " (SELECT count(*) FROM tenants WHERE id = $3 AND deleted_at IS NULL) AS tenants")
                .execute(Tuple.of(modelId, version, tenantId))
                .compose(rows -> {
                    Row r = rows.iterator().next();
                    if (r.getLong("versions") == 0) {
                        return Future.succeededFuture(Recorded.UNKNOWN_MODEL_VERSION);
                    }
                    if (tenantId != null && r.getLong("tenants") == 0) {
                        return Future.succeededFuture(Recorded.UNKNOWN_TENANT);
                    }
                    // A change the admin API made and the scheduler has not yet written into the resource wins.
                    return conn.preparedQuery("INSERT INTO deployments (id, model_id, version, replicas, tenant_id, gpu_count,"
                                    + " gpu_flavor) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET model_id = $2,"
                                    + " version = $3, replicas = $4, tenant_id = $5, gpu_count = $6, gpu_flavor = $7, updated_at = now()"
                                    + " WHERE NOT deployments.deleting AND deployments.desired_revision = deployments.synced_revision"
                                    + " AND (deployments.model_id, deployments.version, deployments.replicas, deployments.tenant_id,"
                                    + " deployments.gpu_count, deployments.gpu_flavor) IS DISTINCT FROM ($2, $3, $4, $5, $6, $7)")
                            .execute(Tuple.of(id, modelId, version, replicas, tenantId, gpuCount, gpuFlavor))
                            .map(Recorded.OK);
                }));
    }

    public Future<List<DesiredDeployment>> listDesired() {
        return page(null, null, Integer.MAX_VALUE);
    }

    /**
     * A page of deployments in id order, after {@code after}: of public models and of models owned by
     * {@code owners} (null: all).
     */
    public Future<List<DesiredDeployment>> page(List<String> owners, String after, int limit) {
        return pool.preparedQuery("SELECT d.id, d.model_id, d.version, d.replicas, m.task, v.artifact_uri"
                        + " FROM deployments d"
                        + " JOIN models m ON m.id = d.model_id"
                        + " JOIN model_versions v ON v.model_id = d.model_id AND v.version = d.version"
                        + " WHERE NOT d.deleting AND ($1::text[] IS NULL OR m.owner_tenant_id IS NULL OR m.owner_tenant_id = ANY($1))"
                        + " AND ($2::text IS NULL OR d.id > $2) ORDER BY d.id LIMIT $3")
                .execute(io.vertx.sqlclient.Tuple.tuple().addArrayOfString(owners == null ? null : owners.toArray(new String[0]))
                        .addString(after).addInteger(limit))
                .map(rows -> {
                    List<DesiredDeployment> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new DesiredDeployment(r.getString("id"), r.getString("model_id"), r.getString("version"),
                                ModelTask.fromWire(r.getString("task")).orElseThrow(), r.getInteger("replicas"),
                                r.getString("artifact_uri")));
                    }
                    return out;
                });
    }
}
