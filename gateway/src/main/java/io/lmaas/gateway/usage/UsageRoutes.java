package io.lmaas.gateway.usage;

import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.vertx.ext.web.Router;

/** {@code GET /v1/usage?start&end&group_by=model|key|day}: the calling tenant's usage, from roll-ups. */
public final class UsageRoutes {
    private final UsageService usage;
    private final Responder responder;

    public UsageRoutes(UsageService usage, Responder responder) {
        this.usage = usage;
        this.responder = responder;
    }

    /** Adds the routes to the {@code /v1} router. */
    public void addTo(Router r) {
        r.get("/usage").handler(ScopeHandler.ANY_KEY).handler(ctx -> usage.summary(TenantPrincipal.of(ctx).tenantId(), Params.queryTime(ctx, "start"),
                        Params.queryTime(ctx, "end"), Params.query(ctx, "group_by"))
                .onSuccess(json -> responder.json(ctx, 200, json))
                .onFailure(ctx::fail));
    }
}
