package io.lmaas.gateway.admin;

import static io.lmaas.gateway.admin.AdminRoutes.MODEL_ID;
import static io.lmaas.gateway.admin.AdminRoutes.actor;
import static io.lmaas.gateway.admin.AdminRoutes.answer;
import static io.lmaas.gateway.admin.AdminRoutes.page;
import static io.lmaas.gateway.admin.AdminRoutes.pattern;
import static io.lmaas.gateway.admin.AdminRoutes.platform;

import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.models.ModelAdminService;
import io.lmaas.gateway.models.ModelDownloadRoute;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * The admin API's models ({@code /admin/v1/models…}): register models and versions, list them (adapters with the
 * replicas that hold them), pin adapters, fold an adapter into a model of its own, download versions. Changes are the
 * platform admin's; a tenant admin lists its tenants' own. Deployments: {@link AdminDeploymentRoutes}.
 */
final class AdminModelRoutes {
    private static final java.util.regex.Pattern VERSION = ModelAdminService.VERSION;

    private final AdminService admin;
    private final ModelAdminService models;
    private final Responder responder;
    private final ModelDownloadRoute downloads;

    AdminModelRoutes(AdminService admin, ModelAdminService models, Responder responder, ModelDownloadRoute downloads) {
        this.admin = admin;
        this.models = models;
        this.responder = responder;
        this.downloads = downloads;
    }

    void addTo(Router r) {
        r.post("/models").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("registerModel")).handler(ctx -> {
            platform(ctx);
            JsonObject body = Json.body(ctx);
            ModelTask task = ModelTask.fromWire(body.getValue("task") instanceof String t ? t : "")
                    .orElseThrow(() -> ApiException.invalidParam("task", "'task' must be text-classification, text-generation or feature-extraction"));
            Object owner = body.getValue("owner_tenant_id");
            if (owner != null && !(owner instanceof String)) {
                throw ApiException.invalidParam("owner_tenant_id", "'owner_tenant_id' must be a tenant id");
            }
            Object description = body.getValue("description");
            Object base = body.getValue("base_model");
            if (base != null && !(base instanceof String b && MODEL_ID.matcher(b).matches())) {
                throw ApiException.invalidParam("base_model", "'base_model' must be a model id");
            }
            answer(responder, ctx, 201, models.createModel(actor(ctx), new ModelRecord(pattern(body, "id", MODEL_ID), task, (String) owner,
                    description instanceof String d ? d : null, null, (String) base)), ModelAdminService::modelJson);
        });
        r.get("/models").handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
            answer(responder, ctx, 200, models.models(AdminPrincipal.of(ctx).tenantFilter(), Params.query(ctx, "after"), limit), list -> page(
                    list.stream().map(m -> {
                        JsonObject json = ModelAdminService.modelJson(m.model())
                                .put("versions", new JsonArray(new java.util.ArrayList<>(m.versions()))).put("version_info", m.info());
                        // An adapter: which replicas of its base hold it now (loaded on first use, evicted least recently used).
                        return m.model().adapter() ? json.put("held_by", models.heldBy(m.model().id())).put("pinned", m.pinned()) : json;
                    })
                            .toList(), limit,
                    list.isEmpty() ? null : list.get(list.size() - 1).model().id()));
        });
        r.patch("/models/:id").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("patchModel")).handler(ctx -> {
            platform(ctx);
            JsonObject body = Json.body(ctx);
            if (!(body.getValue("pinned") instanceof Boolean pinned) || body.size() != 1) {
                throw ApiException.invalidParam("pinned", "the body must be {\"pinned\": true|false} (the one setting a model has)");
            }
            String id = modelId(ctx);
            answer(responder, ctx, 200, models.pin(actor(ctx), id, pinned),
                    v -> new JsonObject().put("id", id).put("object", "model").put("pinned", pinned));
        });
        r.post("/models/:id/versions").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("addModelVersion")).handler(ctx -> {
            platform(ctx);
            JsonObject body = Json.body(ctx);
            Object path = body.getValue("path");
            if (!(path instanceof String p) || !java.nio.file.Path.of(p).isAbsolute()) {
                throw ApiException.invalidParam("path", "'path' must be the absolute path of a model version directory");
            }
            String version = pattern(body, "version", VERSION);
            answer(responder, ctx, 201, models.addVersion(actor(ctx), Params.path(ctx, "id"), version, java.nio.file.Path.of((String) path)),
                    uri -> new JsonObject().put("object", "model_version").put("model", Params.path(ctx, "id"))
                            .put("version", version).put("artifact_uri", uri));
        });
        r.post("/models/:id/merge").handler(AdminRoutes.PLATFORM).handler(RequestSchemas.API.body("mergeAdapter")).handler(ctx -> {
            platform(ctx);
            String id = modelId(ctx);
            JsonObject body = Json.body(ctx);
            Object description = body.getValue("description");
            if (description != null && !(description instanceof String)) {
                throw ApiException.invalidParam("description", "'description' must be a string");
            }
            answer(responder, ctx, 201, models.mergeAdapter(actor(ctx), id, pattern(body, "model", MODEL_ID), (String) description),
                    ModelAdminService::modelJson);
        });
        r.get("/models/:id/versions/:version/download").handler(downloads::admin);
    }

    /** The model id in the path, checked as one before it reaches PostgreSQL. */
    private static String modelId(io.vertx.ext.web.RoutingContext ctx) {
        return pattern(new JsonObject().put("id", Params.path(ctx, "id")), "id", MODEL_ID);
    }

}
