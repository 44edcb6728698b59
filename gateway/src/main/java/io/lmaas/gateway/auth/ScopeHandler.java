package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Checks the key may use the endpoint family of the path (403 {@code insufficient_scope} otherwise). */
public final class ScopeHandler implements Handler<RoutingContext> {

    /** The endpoint family of a {@code /v1} path, or null for endpoints every key may call (usage). */
    static String family(String path) {
        String p = path.startsWith("/v1/") ? path.substring(4) : path;
        if (p.startsWith("files")) {
            return "files";
        }
        if (p.startsWith("fine_tuning")) {
            return "fine_tuning";
        }
        if (p.startsWith("batches")) {
            return "batches";
        }
        if (p.startsWith("usage")) {
            return null;
        }
        return "inference";
    }

    @Override
    public void handle(RoutingContext ctx) {
        String family = family(ctx.request().path());
        TenantPrincipal p = TenantPrincipal.of(ctx);
        if (family != null && !p.scopes().allowsFamily(family)) {
            ctx.fail(ApiException.forbidden("insufficient_scope", null,
                    "This API key may not call " + family + " endpoints."));
            return;
        }
        ctx.next();
    }
}
