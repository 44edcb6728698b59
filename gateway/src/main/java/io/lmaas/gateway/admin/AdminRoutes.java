package io.lmaas.gateway.admin;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.KeyScopes;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.auth.StoredKey;
import io.lmaas.gateway.gpu.GpuQueues;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.models.ModelAdminService;
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
    private static final java.util.regex.Pattern MODEL_ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final AdminService admin;
    private final KeyService keys;
    private final UsageService usage;
    private final ModelAdminService models;
    private final Responder responder;
    private final AdminTokenAuthenticator authenticator;

    public AdminRoutes(AdminService admin, KeyService keys, UsageService usage, ModelAdminService models, Responder responder,
            AdminTokenAuthenticator authenticator) {
        this.admin = admin;
        this.keys = keys;
        this.usage = usage;
        this.models = models;
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

        r.get("/tenants/:id/gpu-queue").handler(ctx -> answer(ctx, 200, admin.gpuQueue(ctx.pathParam("id")), GpuQueues::toJson));
        r.put("/tenants/:id/gpu-queue").handler(ctx -> answer(ctx, 200, admin.putGpuQueue(actor, ctx.pathParam("id"),
                GpuQueues.parse(ctx.pathParam("id"), Json.body(ctx))), GpuQueues::toJson));
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
        r.post("/deployments").handler(ctx -> {
            JsonObject body = Json.body(ctx);
            answer(ctx, 201, models.deploy(actor, pattern(body, "model", MODEL_ID), pattern(body, "version", VERSION),
                    replicas(body), gpu(body)), id -> new JsonObject().put("id", id).put("object", "deployment"));
        });
        r.patch("/deployments/:id").handler(ctx -> answer(ctx, 200,
                models.scale(actor, ctx.pathParam("id"), replicas(Json.body(ctx))),
                v -> new JsonObject().put("id", ctx.pathParam("id")).put("object", "deployment")));
        r.delete("/deployments/:id").handler(ctx -> answer(ctx, 200, models.delete(actor, ctx.pathParam("id")),
                v -> new JsonObject().put("id", ctx.pathParam("id")).put("object", "deployment").put("deleted", true)));
        r.post("/models").handler(ctx -> {
            JsonObject body = Json.body(ctx);
            ModelTask task = ModelTask.fromWire(body.getValue("task") instanceof String t ? t : "")
                    .orElseThrow(() -> ApiException.invalidParam("task", "'task' must be text-classification or text-generation"));
            Object owner = body.getValue("owner_tenant_id");
            if (owner != null && !(owner instanceof String)) {
                throw ApiException.invalidParam("owner_tenant_id", "'owner_tenant_id' must be a tenant id");
            }
            Object description = body.getValue("description");
            answer(ctx, 201, models.createModel(actor, new ModelRecord(pattern(body, "id", MODEL_ID), task, (String) owner,
                    description instanceof String d ? d : null, null)), ModelAdminService::modelJson);
        });
        r.get("/models").handler(ctx -> answer(ctx, 200, models.models(), list -> {
            JsonArray data = new JsonArray();
            list.forEach(m -> data.add(ModelAdminService.modelJson(m.model())
                    .put("versions", new JsonArray(new java.util.ArrayList<>(m.versions())))));
            return new JsonObject().put("object", "list").put("data", data);
        }));
        r.post("/models/:id/versions").handler(ctx -> {
            JsonObject body = Json.body(ctx);
            Object path = body.getValue("path");
            if (!(path instanceof String p) || !java.nio.file.Path.of(p).isAbsolute()) {
                throw ApiException.invalidParam("path", "'path' must be the absolute path of a model version directory");
            }
            String version = pattern(body, "version", VERSION);
            answer(ctx, 201, models.addVersion(actor, ctx.pathParam("id"), version, java.nio.file.Path.of((String) path)),
                    uri -> new JsonObject().put("object", "model_version").put("model", ctx.pathParam("id"))
                            .put("version", version).put("artifact_uri", uri));
        });
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

    private static String pattern(JsonObject body, String field, java.util.regex.Pattern pattern) {
        Object v = body.getValue(field);
        if (v == null) {
            throw ApiException.missingParam(field);
        }
        if (!(v instanceof String s) || !pattern.matcher(s).matches()) {
            throw ApiException.invalidParam(field, "'" + field + "' must match " + pattern.pattern());
        }
        return s;
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
