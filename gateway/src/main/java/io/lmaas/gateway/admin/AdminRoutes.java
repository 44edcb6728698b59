package io.lmaas.gateway.admin;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.gpu.GpuQueues;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.lmaas.gateway.models.ModelAdminService;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.usage.OverviewService;
import io.lmaas.gateway.usage.UsageCsv;
import io.lmaas.gateway.usage.UsageService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The admin API sub-router ({@code /admin/v1}): who am I, overview, tenants, limits and GPU queues, usage (JSON
 * or CSV), audit; tenant admins ({@link AdminTenantAdminRoutes}), keys ({@link AdminKeyRoutes}), models and
 * deployments ({@link AdminModelRoutes}) and jobs ({@link AdminJobRoutes}) are routers of their own on the same paths. Every route is behind the admin authenticator. The
 * platform admin sees everything; a tenant admin sees and changes only their tenants (another tenant's
 * objects are 404) and cannot do platform-wide changes ({@code 403 platform_admin_required}).
 */
public final class AdminRoutes {
    static final java.util.regex.Pattern MODEL_ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private final AdminService admin;
    private final UsageService usage;
    private final ModelAdminService models;
    private final Responder responder;
    private final AdminTokenAuthenticator authenticator;
    private final OverviewService overview;
    private final Optional<KeycloakDirectory> identity;
    private final AdminJobRoutes jobs;
    private final AdminModelRoutes modelRoutes;
    private final AdminKeyRoutes keyRoutes;
    private final AdminTenantAdminRoutes tenantAdmins;

    public AdminRoutes(AdminService admin, KeyService keys, UsageService usage, ModelAdminService models, Responder responder,
            AdminTokenAuthenticator authenticator, OverviewService overview, Optional<KeycloakDirectory> identity, AdminJobRoutes jobs,
            io.lmaas.gateway.models.ModelDownloadRoute downloads) {
        this.modelRoutes = new AdminModelRoutes(admin, models, responder, downloads);
        this.keyRoutes = new AdminKeyRoutes(keys, responder);
        this.tenantAdmins = new AdminTenantAdminRoutes(admin, identity, responder);
        this.admin = admin;
        this.usage = usage;
        this.models = models;
        this.responder = responder;
        this.authenticator = authenticator;
        this.overview = overview;
        this.identity = identity;
        this.jobs = jobs;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(authenticator);
        r.get("/me").handler(ctx -> responder.json(ctx, 200, AdminPrincipal.of(ctx).toJson(identity.isPresent())));
        r.get("/overview").handler(ctx -> answer(ctx, 200, overview.overview(AdminPrincipal.of(ctx).tenantFilter(),
                Params.queryInt(ctx, "hours", 24, 1, OverviewService.MAX_HOURS), Instant.now()), j -> j));
        r.post("/tenants").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("createTenant")).handler(ctx -> {
            platform(ctx);
            answer(ctx, 201, admin.createTenant(actor(ctx), Params.name(Json.body(ctx), "name")), Tenant::toJson);
        });
        r.get("/tenants").handler(this::listTenants);
        r.route("/tenants/:id/*").handler(ctx -> {
            AdminPrincipal.of(ctx).requireTenant(Params.path(ctx, "id"));
            ctx.next();
        });
        r.get("/tenants/:id").handler(ctx -> {
            AdminPrincipal.of(ctx).requireTenant(Params.path(ctx, "id"));
            answer(ctx, 200, admin.tenant(Params.path(ctx, "id")), Tenant::toJson);
        });
        r.get("/tenants/:id/limits").handler(ctx -> answer(ctx, 200, admin.limits(Params.path(ctx, "id")),
                l -> l.toJson().put("object", "limits").put("tenant_id", Params.path(ctx, "id"))));
        r.put("/tenants/:id/limits").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("putTenantLimits")).handler(ctx -> {
            platform(ctx); // a tenant's quota is the operator's to set
            answer(ctx, 200, admin.putLimits(actor(ctx), Params.path(ctx, "id"), Limits.parse(Json.body(ctx), "limits")),
                    l -> l.toJson().put("object", "limits").put("tenant_id", Params.path(ctx, "id")));
        });

        r.get("/tenants/:id/gpu-queue").handler(ctx -> answer(ctx, 200, admin.gpuQueue(Params.path(ctx, "id")), GpuQueues::toJson));
        r.put("/tenants/:id/gpu-queue").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("putTenantGpuQueue")).handler(ctx -> {
            platform(ctx);
            answer(ctx, 200, admin.putGpuQueue(actor(ctx), Params.path(ctx, "id"), GpuQueues.parse(Params.path(ctx, "id"), Json.body(ctx))),
                    GpuQueues::toJson);
        });
        tenantAdmins.addTo(r);
        keyRoutes.addTo(r);
        r.get("/tenants/:id/usage").handler(this::usage);
        modelRoutes.addTo(r);
        jobs.addTo(r);
        r.get("/audit").handler(this::audit);
        return r;
    }

    static String actor(RoutingContext ctx) {
        return AdminPrincipal.of(ctx).actor();
    }

    static void platform(RoutingContext ctx) {
        AdminPrincipal.of(ctx).requirePlatform();
    }

    /** Before a platform-wide change's body is even checked: only the platform admin goes on. */
    static final io.vertx.core.Handler<RoutingContext> PLATFORM = ctx -> {
        platform(ctx);
        ctx.next();
    };

    private void listTenants(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        AdminPrincipal p = AdminPrincipal.of(ctx);
        answer(ctx, 200, p.platformAdmin() ? admin.tenants(Params.query(ctx, "after"), limit)
                : admin.tenants(p.tenantFilter(), Params.query(ctx, "after"), limit), (List<Tenant> tenants) -> page(
                tenants.stream().map(Tenant::toJson).toList(), limit, tenants.isEmpty() ? null : tenants.get(tenants.size() - 1).id()));
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
            answer(ctx, 200, report, j -> j);
            return;
        }
        report.onSuccess(j -> ctx.response().putHeader("content-type", "text/csv; charset=utf-8")
                .putHeader("content-disposition", "attachment; filename=\"usage-" + tenantId + ".csv\"")
                .end(UsageCsv.render(j, groupBy))).onFailure(ctx::fail);
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
        answer(ctx, 200, admin.audit(tenant, beforeId, limit), (List<AuditRepository.Entry> list) ->
                page(list.stream().map(AuditRepository.Entry::toJson).toList(), limit,
                        list.isEmpty() ? null : Long.toString(list.get(list.size() - 1).id())));
    }

    static String pattern(JsonObject body, String field, java.util.regex.Pattern pattern) {
        Object v = body.getValue(field);
        if (v == null) {
            throw ApiException.missingParam(field);
        }
        if (!(v instanceof String s) || !pattern.matcher(s).matches()) {
            throw ApiException.invalidParam(field, "'" + field + "' must match " + pattern.pattern());
        }
        return s;
    }

    static JsonObject page(List<JsonObject> items, int limit, String lastId) {
        return new JsonObject().put("object", "list").put("data", new JsonArray(new java.util.ArrayList<>(items)))
                .put("has_more", items.size() == limit).put("last_id", lastId);
    }

    private <T> void answer(RoutingContext ctx, int status, Future<T> result, Function<T, JsonObject> render) {
        answer(responder, ctx, status, result, render);
    }

    static <T> void answer(Responder responder, RoutingContext ctx, int status, Future<T> result, Function<T, JsonObject> render) {
        result.onSuccess(v -> responder.json(ctx, status, render.apply(v))).onFailure(ctx::fail);
    }
}
