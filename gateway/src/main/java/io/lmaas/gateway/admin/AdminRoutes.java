package io.lmaas.gateway.admin;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.KeyScopes;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.auth.StoredKey;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.usage.UsageService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Function;

/**
 * The admin API sub-router ({@code /admin/v1}): tenants and limits, keys, usage, deployments, audit.
 * Every route is behind the admin authenticator; a key of another tenant is 404.
 */
public final class AdminRoutes {
    private final AdminService admin;
    private final KeyService keys;
    private final UsageService usage;
    private final Responder responder;
    private final AdminTokenAuthenticator authenticator;

    public AdminRoutes(AdminService admin, KeyService keys, UsageService usage, Responder responder,
            AdminTokenAuthenticator authenticator) {
        this.admin = admin;
        this.keys = keys;
        this.usage = usage;
        this.responder = responder;
        this.authenticator = authenticator;
    }

    public Router router(Vertx vertx) {
        String actor = AdminTokenAuthenticator.ACTOR;
        Router r = Router.router(vertx);
        r.route().handler(authenticator);
        r.post("/tenants").handler(ctx -> answer(ctx, 201, admin.createTenant(actor, Params.name(Json.body(ctx), "name")),
                Tenant::toJson));
        r.get("/tenants").handler(this::listTenants);
        r.get("/tenants/:id").handler(ctx -> answer(ctx, 200, admin.tenant(ctx.pathParam("id")), Tenant::toJson));
        r.get("/tenants/:id/limits").handler(ctx -> answer(ctx, 200, admin.limits(ctx.pathParam("id")),
                l -> l.toJson().put("object", "limits").put("tenant_id", ctx.pathParam("id"))));
        r.put("/tenants/:id/limits").handler(ctx -> answer(ctx, 200,
                admin.putLimits(actor, ctx.pathParam("id"), Limits.parse(Json.body(ctx), "limits")),
                l -> l.toJson().put("object", "limits").put("tenant_id", ctx.pathParam("id"))));

        r.post("/tenants/:id/keys").handler(ctx -> {
            JsonObject body = Json.body(ctx);
            answer(ctx, 201, keys.create(actor, ctx.pathParam("id"), Params.name(body, "name"),
                    KeyScopes.parse(body.getValue("scopes")), limits(body), expiresAt(body)),
                    k -> k.stored().toJson().put("key", k.issued().token()));
        });
        r.get("/tenants/:id/keys").handler(this::listKeys);
        r.get("/tenants/:id/keys/:keyId").handler(ctx -> answer(ctx, 200,
                keys.get(ctx.pathParam("id"), ctx.pathParam("keyId")), StoredKey::toJson));
        r.delete("/tenants/:id/keys/:keyId").handler(ctx -> answer(ctx, 200,
                keys.revoke(actor, ctx.pathParam("id"), ctx.pathParam("keyId")), StoredKey::toJson));
        r.post("/tenants/:id/keys/:keyId/rotate").handler(ctx -> {
            JsonObject body = ctx.body().length() == 0 ? new JsonObject() : Json.body(ctx);
            answer(ctx, 200, keys.rotate(actor, ctx.pathParam("id"), ctx.pathParam("keyId"), grace(body)),
                    k -> k.stored().toJson().put("key", k.issued().token()));
        });
        r.put("/tenants/:id/keys/:keyId/limits").handler(ctx -> answer(ctx, 200, keys.putLimits(actor,
                ctx.pathParam("id"), ctx.pathParam("keyId"), Limits.parse(Json.body(ctx), "limits")), StoredKey::toJson));

        r.get("/tenants/:id/usage").handler(this::usage);
        r.get("/deployments").handler(ctx -> answer(ctx, 200, admin.deployments(), AdminRoutes::deploymentsJson));
        r.get("/audit").handler(this::audit);
        return r;
    }

    private void listTenants(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        answer(ctx, 200, admin.tenants(ctx.queryParams().get("after"), limit), (List<Tenant> tenants) -> page(
                tenants.stream().map(Tenant::toJson).toList(), limit, tenants.isEmpty() ? null : tenants.get(tenants.size() - 1).id()));
    }

    private void listKeys(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        answer(ctx, 200, keys.list(ctx.pathParam("id"), ctx.queryParams().get("after"), limit), (List<StoredKey> list) -> page(
                list.stream().map(StoredKey::toJson).toList(), limit, list.isEmpty() ? null : list.get(list.size() - 1).keyId()));
    }

    /** Without {@code group_by}: ledger rows, newest first, with totals; with it: grouped sums from roll-ups. */
    private void usage(RoutingContext ctx) {
        String tenantId = ctx.pathParam("id");
        OffsetDateTime start = Params.queryTime(ctx, "start");
        OffsetDateTime end = Params.queryTime(ctx, "end");
        String groupBy = ctx.queryParams().get("group_by");
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        answer(ctx, 200, admin.tenant(tenantId).compose(t -> groupBy == null
                ? usage.rows(tenantId, start, end, limit) : usage.summary(tenantId, start, end, groupBy)), j -> j);
    }

    private void audit(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        String before = ctx.queryParams().get("before");
        Long beforeId;
        try {
            beforeId = before == null ? null : Long.parseLong(before);
        } catch (NumberFormatException e) {
            throw ApiException.invalidParam("before", "'before' must be an audit entry id");
        }
        answer(ctx, 200, admin.audit(ctx.queryParams().get("tenant_id"), beforeId, limit), (List<AuditRepository.Entry> list) ->
                page(list.stream().map(AuditRepository.Entry::toJson).toList(), limit,
                        list.isEmpty() ? null : Long.toString(list.get(list.size() - 1).id())));
    }

    private static JsonObject page(List<JsonObject> items, int limit, String lastId) {
        return new JsonObject().put("object", "list").put("data", new JsonArray(new java.util.ArrayList<>(items)))
                .put("has_more", items.size() == limit).put("last_id", lastId);
    }

    private static Limits limits(JsonObject body) {
        Object raw = body.getValue("limits");
        if (raw != null && !(raw instanceof JsonObject)) {
            throw ApiException.invalidParam("limits", "'limits' must be an object");
        }
        return Limits.parse((JsonObject) raw, "limits");
    }

    private static OffsetDateTime expiresAt(JsonObject body) {
        Object raw = body.getValue("expires_at");
        if (raw == null) {
            return null;
        }
        if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.longValue() <= Instant.now().getEpochSecond() || n.longValue() > 253402300799L) {
            throw ApiException.invalidParam("expires_at", "'expires_at' must be a future time in unix seconds");
        }
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(n.longValue()), ZoneOffset.UTC);
    }

    private static long grace(JsonObject body) {
        Object raw = body.getValue("grace_period_seconds");
        if (raw == null) {
            return 0;
        }
        if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 0
                || n.longValue() > KeyService.MAX_GRACE_SECONDS) {
            throw ApiException.invalidParam("grace_period_seconds",
                    "'grace_period_seconds' must be an integer from 0 to " + KeyService.MAX_GRACE_SECONDS);
        }
        return n.longValue();
    }

    private static JsonObject deploymentsJson(List<AdminService.DeploymentStatus> deployments) {
        JsonArray data = new JsonArray();
        for (AdminService.DeploymentStatus s : deployments) {
            JsonArray endpoints = new JsonArray();
            s.endpoints().forEach(e -> endpoints.add(new JsonObject().put("replica", e.replica())
                    .put("state", e.state().wireName()).put("url", e.url()).put("pid", e.pid())
                    .put("restarts", e.restarts()).put("message", e.message())));
            data.add(new JsonObject().put("id", s.deployment().id()).put("object", "deployment")
                    .put("model", s.deployment().modelId()).put("version", s.deployment().version())
                    .put("task", s.deployment().task().wireName()).put("replicas", s.deployment().replicas())
                    .put("ready_replicas", s.endpoints().stream().filter(e -> e.state().wireName().equals("ready")).count())
                    .put("endpoints", endpoints));
        }
        return new JsonObject().put("object", "list").put("data", data);
    }

    private <T> void answer(RoutingContext ctx, int status, Future<T> result, Function<T, JsonObject> render) {
        result.onSuccess(v -> responder.json(ctx, status, render.apply(v))).onFailure(ctx::fail);
    }
}
