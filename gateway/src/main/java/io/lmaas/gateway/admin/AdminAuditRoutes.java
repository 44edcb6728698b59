package io.lmaas.gateway.admin;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code /admin/v1/audit}: the audit log, newest first, paged by entry id; the platform admin reads everything or
 * one tenant's entries, a tenant admin their tenant's only.
 */
final class AdminAuditRoutes {
    private final AdminService admin;
    private final Responder responder;

    AdminAuditRoutes(AdminService admin, Responder responder) {
        this.admin = admin;
        this.responder = responder;
    }

    void addTo(Router r) {
        r.get("/audit").handler(this::audit);
    }

    private void audit(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        String before = Params.query(ctx, "before");
        Long beforeId;
        try {
            beforeId = before == null ? null : Long.parseLong(before);
        } catch (NumberFormatException e) {
            throw ApiException.invalidParam("before", "'before' must be an audit entry id");
        }
        AdminPrincipal p = AdminPrincipal.of(ctx);
        String tenant = Params.query(ctx, "tenant_id");
        if (tenant != null) {
            p.requireTenant(tenant);
        } else if (!p.platformAdmin()) {
            if (p.tenantIds().size() != 1) {
                throw ApiException.missingParam("tenant_id");
            }
            tenant = p.tenantIds().iterator().next();
        }
        AdminRoutes.answer(responder, ctx, 200, admin.audit(tenant, beforeId, limit), (List<AuditRepository.Entry> list) ->
                AdminRoutes.page(list.stream().map(AuditRepository.Entry::toJson).toList(), limit,
                        list.isEmpty() ? null : Long.toString(list.get(list.size() - 1).id())));
    }
}
