package io.lmaas.gateway.admin;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.DesiredDeployment;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.core.ids.Ids;
import io.lmaas.core.jobs.GpuQueueRecord;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.gateway.files.Retention;
import io.lmaas.gateway.gpu.GpuQueues;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.quota.QuotaRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Optional;

/**
 * Platform administration: tenants and their limits, deployments, the audit log. Every mutation writes
 * an audit row (before and after) in its transaction.
 */
public final class AdminService {
    private static final String UNIQUE_VIOLATION = "23505";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AdminService.class);

    /** A deployment with what the scheduler observes of its replicas. */
    public record DeploymentStatus(DesiredDeployment deployment, List<ObservedEndpoint> endpoints) {
    }

    private final Pool pool;
    private final QuotaRepository quotas;
    private final DeploymentRepository deployments;
    private final GpuQueueRepository gpuQueues;
    private final EndpointRepository endpoints;

    private final Optional<KeycloakDirectory> identity;

    public AdminService(Pool pool, QuotaRepository quotas) {
        this(pool, quotas, Optional.empty());
    }

    /** With {@code identity}, creating a tenant also provisions its Keycloak group (when Keycloak answers). */
    public AdminService(Pool pool, QuotaRepository quotas, Optional<KeycloakDirectory> identity) {
        this.pool = pool;
        this.identity = identity;
        this.quotas = quotas;
        this.deployments = new DeploymentRepository(pool);
        this.gpuQueues = new GpuQueueRepository(pool);
        this.endpoints = new EndpointRepository(pool);
    }

    public Future<Tenant> createTenant(String actor, String name) {
        String id = Ids.tenant();
        // The tenant's Keycloak group is made now if Keycloak answers, else at the first invitation: tenants
        // and their API keys never wait for Keycloak.
        Future<Void> provisioned = identity.map(dir -> dir.ensureTenantGroup(id, name).recover(e -> {
            LOG.warn("tenant {}: Keycloak group not created now ({}); it will be at the first invitation", id, e.getMessage());
            return Future.<Void>succeededFuture();
        })).orElse(Future.succeededFuture());
        return provisioned.compose(v -> pool.<Tenant>withTransaction(conn -> TenantRepository.insert(conn, id, name)
                        .compose(t -> AuditRepository.record(conn, actor, "tenant.create", "tenant", t.id(), t.id(),
                                null, t.toJson()).map(t))))
                .recover(e -> Future.failedFuture(e instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())
                        ? ApiException.conflict("tenant_exists", "a tenant named '" + name + "' already exists") : e));
    }

    public Future<Tenant> tenant(String id) {
        return TenantRepository.find(pool, id).map(t -> t.orElseThrow(() -> tenantNotFound(id)));
    }

    public Future<List<Tenant>> tenants(String after, int limit) {
        return TenantRepository.list(pool, after, limit);
    }

    public Future<List<Tenant>> tenants(List<String> ids, String after, int limit) {
        return TenantRepository.list(pool, ids, after, limit);
    }

    /** An audit row on its own (changes made outside PostgreSQL, e.g. in Keycloak). */
    public Future<Void> audit(String actor, String action, String targetType, String targetId, String tenantId, JsonObject before,
            JsonObject after) {
        return AuditRepository.record(pool, actor, action, targetType, targetId, tenantId, before, after);
    }

    public Future<Limits> limits(String tenantId) {
        return tenant(tenantId).compose(t -> quotas.tenantLimits(tenantId));
    }

    /** Replaces the tenant's limits; every gateway applies them within a second (change notification). */
    public Future<Limits> putLimits(String actor, String tenantId, Limits limits) {
        return pool.withTransaction(conn -> TenantRepository.find(conn, tenantId)
                .compose(t -> t.isPresent() ? Future.succeededFuture() : Future.failedFuture(tenantNotFound(tenantId)))
                .compose(v -> QuotaRepository.putTenantLimits(conn, tenantId, limits))
                .compose(before -> AuditRepository.record(conn, actor, "tenant.limits", "tenant", tenantId, tenantId,
                        before.toJson(), limits.toJson()))
                .map(limits));
    }

    public Future<GpuQueueRecord> gpuQueue(String tenantId) {
        return tenant(tenantId).compose(t -> gpuQueues.find(tenantId)).map(q -> q != null ? q
                : new GpuQueueRecord(tenantId, 1, null, java.util.Map.of(), java.util.Map.of()));
    }

    /** Replaces the tenant's GPU queue (quota per flavor, cohort, weight); the scheduler's next cycle applies it. */
    public Future<GpuQueueRecord> putGpuQueue(String actor, String tenantId, GpuQueueRecord queue) {
        return tenant(tenantId).compose(t -> gpuQueue(tenantId))
                .compose(before -> gpuQueues.put(queue).compose(v -> pool.withTransaction(conn -> AuditRepository.record(conn,
                        actor, "tenant.gpu_queue", "tenant", tenantId, tenantId, GpuQueues.toJson(before), GpuQueues.toJson(queue)))))
                .map(queue);
    }

    /** A page of deployments the caller may see ({@code owners} null: all) with their replicas. */
    public Future<List<DeploymentStatus>> deployments(List<String> owners, String after, int limit) {
        return deployments.page(owners, after, limit)
                .compose(desired -> endpoints.listAll().map(observed -> desired.stream()
                        .map(d -> new DeploymentStatus(d, observed.stream()
                                .filter(e -> e.deploymentId().equals(d.id())).toList()))
                        .toList()));
    }

    /** The tenant's retention settings (keep everything until deleted, when none were set). */
    public Future<Retention> retention(String tenantId) {
        return tenant(tenantId).compose(t -> Retention.find(pool, tenantId));
    }

    /** Replaces the tenant's retention settings; the sweeper applies them on its next pass. Audited. */
    public Future<Retention> putRetention(String actor, String tenantId, Retention r) {
        return tenant(tenantId).compose(t -> pool.withTransaction(conn -> Retention.find(conn, tenantId)
                .compose(before -> Retention.put(conn, tenantId, r).compose(v -> AuditRepository.record(conn, actor,
                        "tenant.retention", "tenant", tenantId, tenantId, before.toJson(tenantId), r.toJson(tenantId))))))
                .map(r);
    }

    public Future<List<AuditRepository.Entry>> audit(String tenantId, Long beforeId, int limit) {
        return AuditRepository.list(pool, tenantId, beforeId, limit);
    }

    static ApiException tenantNotFound(String id) {
        return ApiException.notFound("tenant_not_found", "no tenant '" + id + "'");
    }
}
