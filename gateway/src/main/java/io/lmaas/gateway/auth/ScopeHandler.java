package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Checks the key may use the endpoint family of the route the router matched (403 {@code insufficient_scope}
 * otherwise). Every {@code /v1} route starts with one of these, declared where the route is added, so the
 * decision is taken on what the router matched and never on a second reading of the raw path (where
 * {@code /v1/%66iles}, {@code /v1/./files} or {@code /v1//files} would read differently).
 */
public final class ScopeHandler implements Handler<RoutingContext> {
    public static final ScopeHandler INFERENCE = new ScopeHandler("inference");
    public static final ScopeHandler FILES = new ScopeHandler("files");
    public static final ScopeHandler FINE_TUNING = new ScopeHandler("fine_tuning");
    public static final ScopeHandler BATCHES = new ScopeHandler("batches");
    /** For endpoints every key of the tenant may call (its own usage). */
    public static final ScopeHandler ANY_KEY = new ScopeHandler(null);

    private final String family;

    private ScopeHandler(String family) {
        this.family = family;
    }

    public String family() {
        return family;
    }

    @Override
    public void handle(RoutingContext ctx) {
        TenantPrincipal p = TenantPrincipal.of(ctx);
        if (p == null) { // fail closed: a /v1 route is only ever reached after the key was checked
            ctx.fail(ApiException.unauthorized("no API key was checked for this request"));
            return;
        }
        if (family != null && !p.scopes().allowsFamily(family)) {
            ctx.fail(ApiException.forbidden("insufficient_scope", null,
                    "This API key may not call " + family + " endpoints."));
            return;
        }
        ctx.next();
    }
}
