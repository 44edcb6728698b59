package io.lmaas.gateway.admin;

import static io.lmaas.gateway.admin.AdminRoutes.MODEL_ID;
import static io.lmaas.gateway.admin.AdminRoutes.actor;
import static io.lmaas.gateway.admin.AdminRoutes.answer;
import static io.lmaas.gateway.admin.AdminRoutes.pattern;
import static io.lmaas.gateway.admin.AdminRoutes.platform;

import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.models.ModelAdminService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * {@code /admin/v1/deployments}: list (with each replica's state and the conditions that say why it is not ready),
 * deploy a model version (replicas, GPUs per replica), scale, remove. Changes are the platform admin's; a tenant admin
 * lists its tenants' deployments, without worker addresses.
 */
final class AdminDeploymentRoutes {
    private static final java.util.regex.Pattern VERSION = ModelAdminService.VERSION;

    private final AdminService admin;
    private final ModelAdminService models;
    private final Responder responder;

    AdminDeploymentRoutes(AdminService admin, ModelAdminService models, Responder responder) {
        this.admin = admin;
        this.models = models;
        this.responder = responder;
    }

    void addTo(Router r) {
        r.get("/deployments").handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
            answer(responder, ctx, 200, admin.deployments(AdminPrincipal.of(ctx).tenantFilter(), Params.query(ctx, "after"), limit),
                    list -> deploymentsJson(list, AdminPrincipal.of(ctx).platformAdmin()).put("has_more", list.size() == limit)
                            .put("last_id", list.isEmpty() ? null : list.get(list.size() - 1).deployment().id()));
        });
        r.post("/deployments").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("createDeployment")).handler(ctx -> {
            platform(ctx);
            JsonObject body = Json.body(ctx);
            answer(responder, ctx, 201, models.deploy(actor(ctx), pattern(body, "model", MODEL_ID), pattern(body, "version", VERSION),
                    replicas(body), gpu(body)), id -> new JsonObject().put("id", id).put("object", "deployment"));
        });
        r.patch("/deployments/:id").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("patchDeployment")).handler(ctx -> {
            platform(ctx);
            answer(responder, ctx, 200, models.scale(actor(ctx), Params.path(ctx, "id"), replicas(Json.body(ctx))),
                    v -> new JsonObject().put("id", Params.path(ctx, "id")).put("object", "deployment"));
        });
        r.delete("/deployments/:id").handler(ctx -> {
            platform(ctx);
            answer(responder, ctx, 200, models.delete(actor(ctx), Params.path(ctx, "id")),
                    v -> new JsonObject().put("id", Params.path(ctx, "id")).put("object", "deployment").put("deleted", true));
        });
    }

    /** Optional {@code "gpu": {"count": 1..16, "flavor": "h100"}}. */
    private static ModelAdminService.Gpu gpu(JsonObject body) {
        Object raw = body.getValue("gpu");
        if (raw == null) {
            return null;
        }
        if (!(raw instanceof JsonObject g) || !(g.getValue("count", 1) instanceof Integer count) || count < 1 || count > 16
                || !(g.getValue("flavor") instanceof String flavor) || !flavor.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw ApiException.invalidParam("gpu", "'gpu' must be {\"count\": 1 to 16, \"flavor\": a GPU flavor name}");
        }
        return new ModelAdminService.Gpu(count, flavor);
    }

    private static int replicas(JsonObject body) {
        Object v = body.getValue("replicas");
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < 0 || n.intValue() > 64) {
            throw ApiException.invalidParam("replicas", "'replicas' must be an integer from 0 to 64");
        }
        return n.intValue();
    }

    /** Deployments; worker addresses and process ids only for the platform admin. */
    private static JsonObject deploymentsJson(List<AdminService.DeploymentStatus> deployments, boolean internals) {
        JsonArray data = new JsonArray();
        for (AdminService.DeploymentStatus s : deployments) {
            JsonArray endpoints = new JsonArray();
            s.endpoints().forEach(e -> endpoints.add(new JsonObject().put("replica", e.replica())
                    .put("state", e.state().wireName()).put("url", internals ? e.url() : null).put("pid", internals ? e.pid() : null)
                    .put("restarts", e.restarts()).put("message", e.message())));
            data.add(new JsonObject().put("id", s.deployment().id()).put("object", "deployment")
                    .put("model", s.deployment().modelId()).put("version", s.deployment().version())
                    .put("task", s.deployment().task().wireName()).put("replicas", s.deployment().replicas())
                    .put("ready_replicas", s.endpoints().stream().filter(e -> e.state().wireName().equals("ready")).count())
                    .put("conditions", DeploymentConditions.of(s))
                    .put("endpoints", endpoints));
        }
        return new JsonObject().put("object", "list").put("data", data);
    }
}
