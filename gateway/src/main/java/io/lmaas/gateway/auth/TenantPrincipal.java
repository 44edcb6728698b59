package io.lmaas.gateway.auth;

import io.vertx.ext.web.RoutingContext;

/** Who is calling the tenant API: the tenant and the key id (never the secret). */
public record TenantPrincipal(String tenantId, String keyId) {
    private static final String KEY = "lmaas.principal";

    public static TenantPrincipal of(RoutingContext ctx) {
        return ctx.get(KEY);
    }

    void attach(RoutingContext ctx) {
        ctx.put(KEY, this);
    }
}
