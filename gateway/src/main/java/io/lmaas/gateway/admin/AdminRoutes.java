package io.lmaas.gateway.admin;

import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.files.Retention;
import io.lmaas.gateway.gpu.GpuQueues;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.lmaas.gateway.models.ModelAdminService;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.usage.OverviewService;
import io.lmaas.gateway.usage.UsageService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The admin API sub-router ({@code /admin/v1}): who am I, tenants, limits and GPU queues, and the tenant check the
 * feature routers rely on; usage and the overview ({@link AdminUsageRoutes}), audit ({@link AdminAuditRoutes}),
 * tenant admins ({@link AdminTenantAdminRoutes}), keys ({@link AdminKeyRoutes}), models ({@link AdminModelRoutes}),
 * deployments ({@link AdminDeploymentRoutes}) and jobs ({@link AdminJobRoutes}) are routers of their own on the same
 * paths. Every route is behind the admin authenticator. The platform admin sees everything; a tenant admin sees and
 * changes only their tenants (another tenant's objects are 404) and cannot do platform-wide changes
 * ({@code 403 platform_admin_required}).
 */
public final class AdminRoutes {
    static final java.util.regex.Pattern MODEL_ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private final AdminService admin;
    private final ModelAdminService models;
    private final Responder responder;
    private final AdminTokenAuthenticator authenticator;
    private final Optional<KeycloakDirectory> identity;
    private final AdminJobRoutes jobs;
    private final AdminModelRoutes modelRoutes;
    private final AdminDeploymentRoutes deploymentRoutes;
    private final TenantDeletion deletion;
    private final AdminKeyRoutes keyRoutes;
    private final AdminUsageRoutes usageRoutes;
    private final AdminAuditRoutes auditRoutes;
    private final AdminTenantAdminRoutes tenantAdmins;
    private final AdminEncryptionRoutes encryption;

    public AdminRoutes(AdminService admin, KeyService keys, UsageService usage, ModelAdminService models, Responder responder,
            AdminTokenAuthenticator authenticator, OverviewService overview, Optional<KeycloakDirectory> identity, AdminJobRoutes jobs,
            io.lmaas.gateway.models.ModelDownloadRoute downloads, TenantDeletion deletion, AdminEncryptionRoutes encryption) {
        this.deletion = deletion;
        this.encryption = encryption;
        this.modelRoutes = new AdminModelRoutes(admin, models, responder, downloads);
        this.deploymentRoutes = new AdminDeploymentRoutes(admin, models, responder);
        this.keyRoutes = new AdminKeyRoutes(keys, responder);
        this.usageRoutes = new AdminUsageRoutes(admin, usage, overview, responder);
        this.auditRoutes = new AdminAuditRoutes(admin, responder);
        this.tenantAdmins = new AdminTenantAdminRoutes(admin, identity, responder);
        this.admin = admin;
        this.models = models;
        this.responder = responder;
        this.authenticator = authenticator;
        this.identity = identity;
        this.jobs = jobs;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(authenticator);
        r.get("/me").handler(ctx -> responder.json(ctx, 200, AdminPrincipal.of(ctx).toJson(identity.isPresent())));
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
        r.delete("/tenants/:id").handler(PLATFORM).handler(ctx -> answer(ctx, 200,
                deletion.delete(actor(ctx), Params.path(ctx, "id"), keepLedger(ctx)), TenantDeletion.Deleted::toJson));
        r.get("/tenants/:id/limits").handler(ctx -> answer(ctx, 200, admin.limits(Params.path(ctx, "id")),
                l -> l.toJson().put("object", "limits").put("tenant_id", Params.path(ctx, "id"))));
        r.put("/tenants/:id/limits").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("putTenantLimits")).handler(ctx -> {
            platform(ctx); // a tenant's quota is the operator's to set
            answer(ctx, 200, admin.putLimits(actor(ctx), Params.path(ctx, "id"), Limits.parse(Json.body(ctx), "limits")),
                    l -> l.toJson().put("object", "limits").put("tenant_id", Params.path(ctx, "id")));
        });

        r.get("/tenants/:id/retention").handler(ctx -> answer(ctx, 200, admin.retention(Params.path(ctx, "id")),
                ret -> ret.toJson(Params.path(ctx, "id"))));
        r.put("/tenants/:id/retention").handler(PLATFORM).handler(RequestSchemas.API.body("putTenantRetention")).handler(ctx ->
                answer(ctx, 200, admin.putRetention(actor(ctx), Params.path(ctx, "id"), Retention.parse(Json.body(ctx))),
                        ret -> ret.toJson(Params.path(ctx, "id"))));
        r.get("/tenants/:id/gpu-queue").handler(ctx -> answer(ctx, 200, admin.gpuQueue(Params.path(ctx, "id")), GpuQueues::toJson));
        r.put("/tenants/:id/gpu-queue").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("putTenantGpuQueue")).handler(ctx -> {
            platform(ctx);
            answer(ctx, 200, admin.putGpuQueue(actor(ctx), Params.path(ctx, "id"), GpuQueues.parse(Params.path(ctx, "id"), Json.body(ctx))),
                    GpuQueues::toJson);
        });
        tenantAdmins.addTo(r);
        keyRoutes.addTo(r);
        usageRoutes.addTo(r);
        modelRoutes.addTo(r);
        deploymentRoutes.addTo(r);
        jobs.addTo(r);
        auditRoutes.addTo(r);
        encryption.addTo(r);
        return r;
    }

    /** {@code ?ledger=keep} (the default: the bill stays, without the tenant's name) or {@code ?ledger=delete}. */
    private static boolean keepLedger(RoutingContext ctx) {
        String ledger = Params.query(ctx, "ledger");
        if (ledger == null || ledger.equals("keep")) {
            return true;
        }
        if (ledger.equals("delete")) {
            return false;
        }
        throw ApiException.invalidParam("ledger", "'ledger' must be keep or delete");
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
