package io.lmaas.gateway.admin;

import io.lmaas.gateway.auth.KeyScopes;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.auth.StoredKey;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.quota.Limits;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * {@code /admin/v1/tenants/:id/keys}: a tenant's API keys — create (scopes, limits, expiry; the secret shown once),
 * list, get, revoke, rotate (with a grace period for the old secret), per-key limits. Added after the tenant check
 * of {@link AdminRoutes} (a tenant the caller cannot see is 404 before any of these runs).
 */
final class AdminKeyRoutes {
    private final KeyService keys;
    private final Responder responder;

    AdminKeyRoutes(KeyService keys, Responder responder) {
        this.keys = keys;
        this.responder = responder;
    }

    void addTo(Router r) {
        r.post("/tenants/:id/keys").handler(RequestSchemas.API.body("createKey")).handler(ctx -> {
            JsonObject body = Json.body(ctx);
            AdminRoutes.answer(responder, ctx, 201, keys.create(AdminRoutes.actor(ctx), Params.path(ctx, "id"), Params.name(body, "name"),
                    KeyScopes.parse(body.getValue("scopes")), limits(body), expiresAt(body)),
                    k -> k.stored().toJson().put("key", k.issued().token()));
        });
        r.get("/tenants/:id/keys").handler(this::listKeys);
        r.get("/tenants/:id/keys/:keyId").handler(ctx -> AdminRoutes.answer(responder, ctx, 200,
                keys.get(Params.path(ctx, "id"), Params.path(ctx, "keyId")), StoredKey::toJson));
        r.delete("/tenants/:id/keys/:keyId").handler(ctx -> AdminRoutes.answer(responder, ctx, 200,
                keys.revoke(AdminRoutes.actor(ctx), Params.path(ctx, "id"), Params.path(ctx, "keyId")), StoredKey::toJson));
        r.post("/tenants/:id/keys/:keyId/rotate").handler(RequestSchemas.API.body("rotateKey")).handler(ctx -> {
            JsonObject body = ctx.body().length() == 0 ? new JsonObject() : Json.body(ctx);
            AdminRoutes.answer(responder, ctx, 200, keys.rotate(AdminRoutes.actor(ctx), Params.path(ctx, "id"), Params.path(ctx, "keyId"), grace(body)),
                    k -> k.stored().toJson().put("key", k.issued().token()));
        });
        r.put("/tenants/:id/keys/:keyId/limits").handler(RequestSchemas.API.body("putKeyLimits")).handler(ctx -> AdminRoutes.answer(responder, ctx, 200, keys.putLimits(AdminRoutes.actor(ctx),
                Params.path(ctx, "id"), Params.path(ctx, "keyId"), Limits.parse(Json.body(ctx), "limits")), StoredKey::toJson));
    }

    private void listKeys(RoutingContext ctx) {
        int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
        AdminRoutes.answer(responder, ctx, 200, keys.list(Params.path(ctx, "id"), Params.query(ctx, "after"), limit), (List<StoredKey> list) -> AdminRoutes.page(
                list.stream().map(StoredKey::toJson).toList(), limit, list.isEmpty() ? null : list.get(list.size() - 1).keyId()));
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
}
