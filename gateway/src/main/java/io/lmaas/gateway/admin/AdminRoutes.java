package io.lmaas.gateway.admin;

import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.ApiKeys;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.usage.UsageRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Function;

/**
 * The admin API sub-router ({@code /admin/v1}): tenants, their keys, their usage. Every route is behind
 * the admin authenticator.
 */
public final class AdminRoutes {
    private final AdminService service;
    private final Responder responder;
    private final AdminTokenAuthenticator authenticator;

    public AdminRoutes(AdminService service, Responder responder, AdminTokenAuthenticator authenticator) {
        this.service = service;
        this.responder = responder;
        this.authenticator = authenticator;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(authenticator);
        r.post("/tenants").handler(ctx -> answer(ctx, 201,
                service.createTenant(AdminTokenAuthenticator.ACTOR, Params.name(Json.body(ctx), "name")), Tenant::toJson));
        r.get("/tenants").handler(this::listTenants);
        r.get("/tenants/:id").handler(ctx -> answer(ctx, 200, service.tenant(ctx.pathParam("id")), Tenant::toJson));
        r.post("/tenants/:id/keys").handler(ctx -> answer(ctx, 201,
                service.createKey(AdminTokenAuthenticator.ACTOR, ctx.pathParam("id"), Params.name(Json.body(ctx), "name")),
                AdminRoutes::createdKeyJson));
        r.get("/tenants/:id/usage").handler(this::usage);
        r.get("/deployments").handler(ctx -> answer(ctx, 200, service.deployments(), AdminRoutes::deploymentsJson));
        return r;
    }

    private void listTenants(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        answer(ctx, 200, service.tenants(ctx.queryParams().get("after"), limit), (List<Tenant> tenants) -> {
            JsonArray data = new JsonArray();
            tenants.forEach(t -> data.add(t.toJson()));
            return new JsonObject().put("object", "list").put("data", data)
                    .put("has_more", tenants.size() == limit)
                    .put("last_id", tenants.isEmpty() ? null : tenants.get(tenants.size() - 1).id());
        });
    }

    private void usage(RoutingContext ctx) {
        String tenantId = ctx.pathParam("id");
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        answer(ctx, 200, service.usage(tenantId, Params.queryTime(ctx, "start"), Params.queryTime(ctx, "end"), limit), u -> {
            JsonArray data = new JsonArray();
            u.rows().forEach((UsageRow row) -> data.add(row.toJson()));
            return new JsonObject().put("object", "list").put("tenant_id", tenantId).put("data", data)
                    .put("totals", u.totals().toJson());
        });
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

    private static JsonObject createdKeyJson(AdminService.CreatedKey k) {
        return new JsonObject()
                .put("id", k.stored().keyId())
                .put("object", "api_key")
                .put("tenant_id", k.stored().tenantId())
                .put("name", k.stored().name())
                .put("key", k.issued().token())
                .put("redacted_key", ApiKeys.masked(k.stored().keyId(), k.stored().last4()))
                .put("created_at", k.stored().createdAt().toEpochSecond());
    }

    private <T> void answer(RoutingContext ctx, int status, Future<T> result, Function<T, JsonObject> render) {
        result.onSuccess(v -> responder.json(ctx, status, render.apply(v))).onFailure(ctx::fail);
    }
}
