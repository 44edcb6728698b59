package io.lmaas.gateway.admin;

import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code /admin/v1/tenants/:id/admins}: a tenant's admins, who are Keycloak users in the tenant's group — list,
 * invite (the user is created or found by e-mail, then joins), remove; each change audited. Without Keycloak,
 * {@code 400 identity_not_configured}. Added after the tenant check of {@link AdminRoutes}.
 */
final class AdminTenantAdminRoutes {
    private final AdminService admin;
    private final Optional<KeycloakDirectory> identity;
    private final Responder responder;

    AdminTenantAdminRoutes(AdminService admin, Optional<KeycloakDirectory> identity, Responder responder) {
        this.admin = admin;
        this.identity = identity;
        this.responder = responder;
    }

    void addTo(Router r) {
        r.get("/tenants/:id/admins").handler(ctx -> AdminRoutes.answer(responder, ctx, 200, directory().admins(Params.path(ctx, "id")), list -> AdminRoutes.page(
                list.stream().map(KeycloakDirectory.Member::toJson).toList(), Integer.MAX_VALUE, null)));
        r.post("/tenants/:id/admins").handler(RequestSchemas.API.body("inviteTenantAdmin")).handler(this::invite);
        r.delete("/tenants/:id/admins/:userId").handler(ctx -> AdminRoutes.answer(responder, ctx, 200, directory().remove(Params.path(ctx, "id"),
                Params.path(ctx, "userId")).compose(removed -> removed ? admin.audit(AdminRoutes.actor(ctx), "tenant.admin.remove", "user",
                        Params.path(ctx, "userId"), Params.path(ctx, "id"), null, null) : Future.failedFuture(ApiException.notFound(
                        "user_not_found", "User " + Params.path(ctx, "userId") + " is not an admin of this tenant."))),
                v -> new JsonObject().put("id", Params.path(ctx, "userId")).put("object", "tenant_admin").put("deleted", true)));
    }

    private KeycloakDirectory directory() {
        return identity.orElseThrow(() -> ApiException.badRequest("identity_not_configured", null,
                "Tenant admins are Keycloak users; this platform runs without Keycloak (start it with --keycloak-url and"
                        + " LMAAS_KEYCLOAK_CLIENT_SECRET)."));
    }

    /** {@code {"email", "first_name", "last_name", "password", "temporary_password"}}: the user is created (or found by e-mail) and joins the tenant. */
    private void invite(RoutingContext ctx) {
        KeycloakDirectory dir = directory();
        JsonObject body = Json.body(ctx);
        Object email = body.getValue("email");
        if (email == null) {
            throw ApiException.missingParam("email");
        }
        if (!(email instanceof String e) || !e.matches("[^@\\s]{1,64}@[^@\\s]{1,255}")) {
            throw ApiException.invalidParam("email", "'email' must be an e-mail address");
        }
        Object password = body.getValue("password");
        if (password != null && !(password instanceof String pw && pw.length() >= 8 && pw.length() <= 128)) {
            throw ApiException.invalidParam("password", "'password' must be 8 to 128 characters");
        }
        Object temporary = body.getValue("temporary_password", Boolean.TRUE);
        if (!(temporary instanceof Boolean)) {
            throw ApiException.invalidParam("temporary_password", "'temporary_password' must be true or false");
        }
        String first = optionalName(body, "first_name");
        String last = optionalName(body, "last_name");
        String tenantId = Params.path(ctx, "id");
        AdminRoutes.answer(responder, ctx, 201, admin.tenant(tenantId).compose(t -> dir.invite(tenantId, t.name(), ((String) email).toLowerCase(
                java.util.Locale.ROOT), first, last, (String) password, (Boolean) temporary)).compose(inv -> admin.audit(AdminRoutes.actor(ctx),
                "tenant.admin.invite", "user", inv.member().id(), tenantId, null, inv.member().toJson()).map(inv)),
                inv -> inv.member().toJson().put("created", inv.created()));
    }

    private static String optionalName(JsonObject body, String field) {
        Object v = body.getValue(field);
        if (v != null && !(v instanceof String s && !s.isBlank() && s.length() <= 100)) {
            throw ApiException.invalidParam(field, "'" + field + "' must be a name of 1 to 100 characters");
        }
        return (String) v;
    }
}
