package io.lmaas.gateway.admin;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.audit.AuditRepository;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code DELETE /admin/v1/tenants/{id}}: the tenant's keys (every gateway stops accepting them within a second), files,
 * models and adapters with their versions, deployments (the scheduler stops their workers), jobs and batches with
 * their events and checkpoints, limits and GPU queue go in one transaction, then their artifacts from the store and the
 * tenant's Keycloak group; its data key is destroyed in the transaction, so a copy of its artifacts anywhere (a backup, a
 * half-written file) is unreadable. Refused ({@code 409 tenant_busy}) while a job or batch of the tenant still runs: cancel
 * it first. The usage ledger is the bill: by default it is kept (its rows hold counts, no content) and the tenant stays
 * as a row without its name; {@code ledger=delete} removes it and its roll-ups too. The audit log keeps the deletion.
 */
public final class TenantDeletion {
    /** What a deletion removed. */
    public record Deleted(String tenantId, long keys, long files, long models, long jobs, long deployments, boolean ledgerKept,
            boolean identityGroup, boolean dataKey) {
        JsonObject toJson() {
            return new JsonObject().put("id", tenantId).put("object", "tenant").put("deleted", true)
                    .put("removed", new JsonObject().put("keys", keys).put("files", files).put("models", models).put("jobs", jobs)
                            .put("deployments", deployments).put("identity_group", identityGroup).put("data_key", dataKey))
                    .put("ledger", ledgerKept ? "kept" : "deleted");
        }
    }

    private final Vertx vertx;
    private final Pool pool;
    private final Optional<ArtifactStore> artifacts;
    private final Optional<KeycloakDirectory> identity;
    private final TenantKeys keys;

    public TenantDeletion(Vertx vertx, Pool pool, Optional<ArtifactStore> artifacts, Optional<KeycloakDirectory> identity,
            TenantKeys keys) {
        this.keys = keys;
        this.vertx = vertx;
        this.pool = pool;
        this.artifacts = artifacts;
        this.identity = identity;
    }

    public Future<Deleted> delete(String actor, String tenantId, boolean keepLedger) {
        List<String> models = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        long[] counts = new long[6];
        Tuple tenant = Tuple.of(tenantId);
        return pool.withTransaction(conn -> TenantRepository.lockName(conn, tenantId)
                .compose(name -> name == null ? Future.failedFuture(AdminService.tenantNotFound(tenantId)) : refuseIfBusy(conn, tenantId)
                        .compose(v -> ids(conn, "SELECT id FROM models WHERE owner_tenant_id = $1", tenantId, models))
                        .compose(v -> ids(conn, "SELECT id FROM jobs WHERE tenant_id = $1", tenantId, jobs))
                        .compose(v -> {
                            Tuple modelIds = Tuple.tuple().addArrayOfString(models.toArray(new String[0]));
                            Tuple tenantAndModels = Tuple.tuple().addString(tenantId).addArrayOfString(models.toArray(new String[0]));
                            return delete(conn, "DELETE FROM deployments WHERE tenant_id = $1 OR model_id = ANY($2)", tenantAndModels,
                                    counts, 4)
                                    .compose(x -> delete(conn, "DELETE FROM model_versions WHERE model_id = ANY($1)", modelIds, null, 0))
                                    // adapters first: they reference their base
                                    .compose(x -> delete(conn, "DELETE FROM models WHERE id = ANY($1) AND base_model_id IS NOT NULL",
                                            modelIds, counts, 2))
                                    .compose(x -> delete(conn, "DELETE FROM models WHERE id = ANY($1)", modelIds, counts, 2));
                        })
                        .compose(v -> delete(conn, "DELETE FROM jobs WHERE tenant_id = $1", tenant, counts, 3))
                        .compose(v -> delete(conn, "DELETE FROM files WHERE tenant_id = $1", tenant, counts, 1))
                        .compose(v -> delete(conn, "DELETE FROM api_keys WHERE tenant_id = $1", tenant, counts, 0))
                        .compose(v -> delete(conn, "DELETE FROM tenant_limits WHERE tenant_id = $1", tenant, null, 0))
                        .compose(v -> delete(conn, "DELETE FROM gpu_queues WHERE tenant_id = $1", tenant, null, 0))
                        .compose(v -> delete(conn, "DELETE FROM tenant_retention WHERE tenant_id = $1", tenant, null, 0))
                        // The data key goes with the rest: any copy of the tenant's artifacts left anywhere is unreadable.
                        .compose(v -> keys.destroy(conn, tenantId).map(n -> counts[5] = n).mapEmpty())
                        .compose(v -> keepLedger ? conn.preparedQuery("UPDATE tenants SET name = 'deleted-' || id, deleted_at = now()"
                                + " WHERE id = $1").execute(tenant).mapEmpty() : deleteLedger(conn, tenant))
                        .compose(v -> AuditRepository.record(conn, actor, "tenant.delete", "tenant", tenantId, tenantId,
                                new JsonObject().put("name", name), new JsonObject().put("ledger", keepLedger ? "kept" : "deleted")
                                        .put("keys", counts[0]).put("files", counts[1]).put("models", counts[2])
                                        .put("jobs", counts[3]).put("deployments", counts[4]).put("data_key", counts[5] > 0)))))
                .compose(v -> vertx.executeBlocking(() -> {
                    removeArtifacts(tenantId, models, jobs);
                    return null;
                }))
                .compose(v -> identity.map(d -> d.deleteTenantGroup(tenantId).otherwise(false)).orElse(Future.succeededFuture(false)))
                .map(group -> new Deleted(tenantId, counts[0], counts[1], counts[2], counts[3], counts[4], keepLedger, group,
                        counts[5] > 0));
    }

    private static Future<Void> refuseIfBusy(SqlConnection conn, String tenantId) {
        return conn.preparedQuery("SELECT id, kind FROM jobs WHERE tenant_id = $1 AND finished_at IS NULL ORDER BY id LIMIT 5")
                .execute(Tuple.of(tenantId)).compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture();
                    }
                    List<String> running = new ArrayList<>();
                    rows.forEach(r -> running.add(r.getString("kind") + " " + r.getString("id")));
                    return Future.failedFuture(ApiException.conflict("tenant_busy", "The tenant still has work running ("
                            + String.join(", ", running) + "); cancel it, then delete the tenant."));
                });
    }

    private static Future<Void> ids(SqlConnection conn, String sql, String tenantId, List<String> into) {
        return conn.preparedQuery(sql).execute(Tuple.of(tenantId)).map(rows -> {
            for (Row r : rows) {
                into.add(r.getString("id"));
            }
            return null;
        });
    }

    /** Runs a DELETE; adds its row count to {@code counts[at]} when {@code counts} is given. */
    private static Future<Void> delete(SqlConnection conn, String sql, Tuple args, long[] counts, int at) {
        return conn.preparedQuery(sql).execute(args).map(rows -> {
            if (counts != null) {
                counts[at] += rows.rowCount();
            }
            return null;
        });
    }

    private static Future<Void> deleteLedger(SqlConnection conn, Tuple t) {
        // The roll-up passes' state rows first: a pass that read the tenant's rows before this commits would otherwise
        // write its roll-ups back after their DELETE. Passes skip a locked state row, so this waits at most for one pass.
        return conn.query("SELECT name FROM usage_rollup_state ORDER BY name FOR UPDATE").execute()
                .compose(v -> conn.preparedQuery("DELETE FROM usage_ledger WHERE tenant_id = $1").execute(t))
                .compose(v -> conn.preparedQuery("DELETE FROM usage_daily WHERE tenant_id = $1").execute(t))
                .compose(v -> conn.preparedQuery("DELETE FROM usage_hourly WHERE tenant_id = $1").execute(t))
                .compose(v -> conn.preparedQuery("DELETE FROM tenants WHERE id = $1").execute(t)).mapEmpty();
    }

    /** The tenant's files, its models' versions and its jobs' working directories (checkpoints) leave the store. */
    private void removeArtifacts(String tenantId, List<String> models, List<String> jobs) {
        artifacts.ifPresent(store -> {
            removeTree(store.root().resolve("files").resolve(tenantId));
            models.forEach(m -> removeTree(store.root().resolve("models").resolve(m)));
            jobs.forEach(j -> removeTree(store.job(j)));
        });
    }

    private static void removeTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
