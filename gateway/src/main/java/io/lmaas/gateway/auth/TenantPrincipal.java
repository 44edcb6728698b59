package io.lmaas.gateway.auth;

import io.lmaas.gateway.quota.Limits;
import io.vertx.ext.web.RoutingContext;

/** Who is calling the tenant API: the tenant, the key id (never the secret), the key's scopes and limits. */
public record TenantPrincipal(String tenantId, String keyId, KeyScopes scopes, Limits keyLimits) {
    private static final String KEY = "lmaas.principal";

    public static TenantPrincipal of(RoutingContext ctx) {
        return ctx.get(KEY);
    }

    void attach(RoutingContext ctx) {
        ctx.put(KEY, this);
    }
}
