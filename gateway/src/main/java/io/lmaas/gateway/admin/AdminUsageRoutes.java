package io.lmaas.gateway.admin;

import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.usage.OverviewService;
import io.lmaas.gateway.usage.UsageCsv;
import io.lmaas.gateway.usage.UsageService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * {@code /admin/v1/overview} (requests, errors, tokens and latency per hour of the tenants the caller sees) and
 * {@code /admin/v1/tenants/:id/usage} (a tenant's ledger rows or grouped sums, JSON or CSV). Added after the tenant
 * check of {@link AdminRoutes}.
 */
final class AdminUsageRoutes {
    private final AdminService admin;
    private final UsageService usage;
    private final OverviewService overview;
    private final Responder responder;

    AdminUsageRoutes(AdminService admin, UsageService usage, OverviewService overview, Responder responder) {
        this.admin = admin;
        this.usage = usage;
        this.overview = overview;
        this.responder = responder;
    }

    void addTo(Router r) {
        r.get("/overview").handler(ctx -> AdminRoutes.answer(responder, ctx, 200, overview.overview(
                AdminPrincipal.of(ctx).tenantFilter(), Params.queryInt(ctx, "hours", 24, 1, OverviewService.MAX_HOURS),
                Instant.now()), j -> j));
        r.get("/tenants/:id/usage").handler(this::usage);
    }

    /** Without {@code group_by}: ledger rows, newest first, with totals; with it: grouped sums from roll-ups. */
    private void usage(RoutingContext ctx) {
        String tenantId = Params.path(ctx, "id");
        OffsetDateTime start = Params.queryTime(ctx, "start");
        OffsetDateTime end = Params.queryTime(ctx, "end");
        String groupBy = Params.query(ctx, "group_by");
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        boolean csv = "csv".equals(Params.query(ctx, "format"));
        Future<JsonObject> report = admin.tenant(tenantId).compose(t -> groupBy == null
                ? usage.rows(tenantId, start, end, limit) : usage.summary(tenantId, start, end, groupBy));
        if (!csv) {
            AdminRoutes.answer(responder, ctx, 200, report, j -> j);
            return;
        }
        report.onSuccess(j -> ctx.response().putHeader("content-type", "text/csv; charset=utf-8")
                .putHeader("content-disposition", "attachment; filename=\"usage-" + tenantId + ".csv\"")
                .end(UsageCsv.render(j, groupBy))).onFailure(ctx::fail);
    }
}
