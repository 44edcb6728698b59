package io.lmaas.gateway.admin;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.DesiredDeployment;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.auth.ApiKeyRepository;
import io.lmaas.gateway.auth.ApiKeys;
import io.lmaas.gateway.auth.KeyHasher;
import io.lmaas.gateway.auth.StoredKey;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.usage.UsageRepository;
import io.lmaas.gateway.usage.UsageRow;
import io.lmaas.gateway.usage.UsageTotals;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.time.OffsetDateTime;
import java.util.List;

/** Tenant administration: tenants, their API keys, their usage. Every mutation writes an audit row in its transaction. */
public final class AdminService {
    private static final String UNIQUE_VIOLATION = "23505";

    /** A key just created: what is stored, and the token to show once. */
    public record CreatedKey(StoredKey stored, ApiKeys.Issued issued) {
    }

    /** A deployment with what the scheduler observes of its replicas. */
    public record DeploymentStatus(DesiredDeployment deployment, List<ObservedEndpoint> endpoints) {
    }

    /** A page of usage rows and the totals over the whole window. */
    public record Usage(List<UsageRow> rows, UsageTotals totals) {
    }

    private final Pool pool;
    private final KeyHasher hasher;
    private final UsageRepository usage;
    private final DeploymentRepository deployments;
    private final EndpointRepository endpoints;

    public AdminService(Pool pool, KeyHasher hasher, UsageRepository usage) {
        this.pool = pool;
        this.hasher = hasher;
        this.usage = usage;
        this.deployments = new DeploymentRepository(pool);
        this.endpoints = new EndpointRepository(pool);
    }

    public Future<Tenant> createTenant(String actor, String name) {
        String id = Ids.tenant();
        return pool.<Tenant>withTransaction(conn -> TenantRepository.insert(conn, id, name)
                        .compose(t -> AuditRepository.record(conn, actor, "tenant.create", "tenant", t.id(), t.id(),
                                new JsonObject().put("name", name)).map(t)))
                .recover(e -> Future.failedFuture(e instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())
                        ? ApiException.conflict("tenant_exists", "a tenant named '" + name + "' already exists") : e));
    }

    public Future<Tenant> tenant(String id) {
        return TenantRepository.find(pool, id).map(t -> t.orElseThrow(() -> tenantNotFound(id)));
    }

    public Future<List<Tenant>> tenants(String after, int limit) {
        return TenantRepository.list(pool, after, limit);
    }

    public Future<CreatedKey> createKey(String actor, String tenantId, String name) {
        ApiKeys.Issued issued = ApiKeys.issue();
        return pool.withTransaction(conn -> TenantRepository.find(conn, tenantId)
                .compose(t -> t.isPresent() ? Future.succeededFuture(t.get()) : Future.failedFuture(tenantNotFound(tenantId)))
                .compose(t -> ApiKeyRepository.insert(conn, issued.keyId(), tenantId, name, hasher.hash(issued.secret()),
                        issued.last4()))
                .compose(stored -> AuditRepository.record(conn, actor, "api_key.create", "api_key", stored.keyId(), tenantId,
                        new JsonObject().put("name", name)).map(new CreatedKey(stored, issued))));
    }

    public Future<List<DeploymentStatus>> deployments() {
        return deployments.listDesired()
                .compose(desired -> endpoints.listAll().map(observed -> desired.stream()
                        .map(d -> new DeploymentStatus(d, observed.stream()
                                .filter(e -> e.deploymentId().equals(d.id())).toList()))
                        .toList()));
    }

    public Future<Usage> usage(String tenantId, OffsetDateTime start, OffsetDateTime end, int limit) {
        return tenant(tenantId)
                .compose(t -> usage.list(tenantId, start, end, limit))
                .compose(rows -> usage.totals(tenantId, start, end).map(totals -> new Usage(rows, totals)));
    }

    private static ApiException tenantNotFound(String id) {
        return ApiException.notFound("tenant_not_found", "no tenant '" + id + "'");
    }
}
