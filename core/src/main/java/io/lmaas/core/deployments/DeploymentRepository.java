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
                .preparedQuery("SELECT id FROM deployments WHERE model_id = $1 AND version = $2 ORDER BY created_at LIMIT 1")
                .execute(Tuple.of(modelId, version))
                .compose(rows -> {
                    if (rows.size() > 0) {
                        return Future.succeededFuture(rows.iterator().next().getString("id"));
                    }
                    String id = Ids.deployment();
                    return conn.preparedQuery("INSERT INTO deployments (id, model_id, version, replicas) VALUES ($1, $2, $3, $4)")
                            .execute(Tuple.of(id, modelId, version, replicas))
                            .map(id);
                }));
    }

    /** Scales a deployment; false if there is none with that id. */
    public Future<Boolean> scale(String deploymentId, int replicas) {
        return pool.preparedQuery("UPDATE deployments SET replicas = $2, updated_at = now() WHERE id = $1")
                .execute(Tuple.of(deploymentId, replicas))
                .map(r -> r.rowCount() == 1);
    }

    /** A new deployment of the model version; returns its id. */
    public Future<String> create(String modelId, String version, int replicas) {
        String id = Ids.deployment();
        return pool.preparedQuery("INSERT INTO deployments (id, model_id, version, replicas) VALUES ($1, $2, $3, $4)")
                .execute(Tuple.of(id, modelId, version, replicas))
                .map(id);
    }

    /** Deletes a deployment (its endpoints go with it); false if there is none with that id. */
    public Future<Boolean> delete(String deploymentId) {
        return pool.preparedQuery("DELETE FROM deployments WHERE id = $1").execute(Tuple.of(deploymentId))
                .map(r -> r.rowCount() == 1);
    }

    /** Why a deployment defined elsewhere (a Kubernetes ModelDeployment) cannot be recorded, or OK. */
    public enum Recorded { OK, UNKNOWN_MODEL_VERSION, UNKNOWN_TENANT }

    /**
     * Records a deployment whose desired state lives elsewhere (Kubernetes) under its own id: inserted, or
     * updated when it differs. Refused (and nothing written) when its model version or tenant is unknown.
     */
    public Future<Recorded> record(String id, String modelId, String version, int replicas, String tenantId) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("SELECT (SELECT count(*) FROM model_versions WHERE model_id = $1 AND version = $2) AS versions,"
                        + " (SELECT count(*) FROM tenants WHERE id = $3) AS tenants")
                .execute(Tuple.of(modelId, version, tenantId))
                .compose(rows -> {
                    Row r = rows.iterator().next();
                    if (r.getLong("versions") == 0) {
                        return Future.succeededFuture(Recorded.UNKNOWN_MODEL_VERSION);
                    }
                    if (tenantId != null && r.getLong("tenants") == 0) {
                        return Future.succeededFuture(Recorded.UNKNOWN_TENANT);
                    }
                    return conn.preparedQuery("INSERT INTO deployments (id, model_id, version, replicas, tenant_id)"
                                    + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET model_id = $2, version = $3,"
                                    + " replicas = $4, tenant_id = $5, updated_at = now()"
                                    + " WHERE (deployments.model_id, deployments.version, deployments.replicas, deployments.tenant_id)"
                                    + " IS DISTINCT FROM ($2, $3, $4, $5)")
                            .execute(Tuple.of(id, modelId, version, replicas, tenantId))
                            .map(Recorded.OK);
                }));
    }

    public Future<List<DesiredDeployment>> listDesired() {
        return pool.query("SELECT d.id, d.model_id, d.version, d.replicas, m.task, v.artifact_uri"
                        + " FROM deployments d"
                        + " JOIN models m ON m.id = d.model_id"
                        + " JOIN model_versions v ON v.model_id = d.model_id AND v.version = d.version"
                        + " ORDER BY d.id")
                .execute()
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
