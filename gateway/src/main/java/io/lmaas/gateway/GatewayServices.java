package io.lmaas.gateway;

import io.lmaas.gateway.admin.AdminService;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.ApiKeyAuthenticator;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.lmaas.gateway.inference.InferenceService;
import io.lmaas.gateway.models.ModelAdminService;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.usage.LedgerWriter;
import io.lmaas.gateway.usage.UsageService;
import io.vertx.sqlclient.Pool;

/**
 * What every event loop of one gateway replica shares: the database pool, key authentication and its
 * cache, quota leases, the ledger writer (one group commit for all loops), routing, the tenants' data keys, and the services
 * behind the routes, and the process's metrics registry with this replica's tags. Each event loop has its own HTTP server and router (see {@link GatewayHttpVerticle}).
 */
record GatewayServices(GatewayConfig config, Pool pool, ApiKeyAuthenticator keys, AdminTokenAuthenticator admins,
        QuotaService quota, LedgerWriter ledger, InferenceService inference, UsageService usage, AdminService admin,
        KeyService keyAdmin, ModelAdminService models, java.util.Optional<KeycloakDirectory> identity,
        io.lmaas.core.crypto.TenantKeys tenantKeys, io.micrometer.core.instrument.MeterRegistry metrics, io.micrometer.core.instrument.Tags metricTags) {
}
