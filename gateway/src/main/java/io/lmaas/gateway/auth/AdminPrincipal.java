package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who calls the admin API: the platform admin (the bootstrap token, or a Keycloak user with the
 * {@code platform-admin} role), or a tenant admin (role {@code tenant-admin}, scoped to the tenants of
 * the groups they are in). {@code actor} is what the audit log records.
 */
public record AdminPrincipal(String actor, String username, boolean platformAdmin, Set<String> tenantIds, String identity) {
    private static final String KEY = "lmaas.admin";

    public static AdminPrincipal bootstrap() {
        return new AdminPrincipal(AdminTokenAuthenticator.ACTOR, null, true, Set.of(), "token");
    }

    public static AdminPrincipal of(RoutingContext ctx) {
        return ctx.get(KEY);
    }

    public void attach(RoutingContext ctx) {
        ctx.put(KEY, this);
    }

    public boolean canSee(String tenantId) {
        return platformAdmin || tenantIds.contains(tenantId);
    }

    /** Platform-wide operations (tenants, models, deployments): {@code 403 platform_admin_required} otherwise. */
    public void requirePlatform() {
        if (!platformAdmin) {
            throw ApiException.forbidden("platform_admin_required", null, "Only a platform admin can do this.");
        }
    }

    /** A tenant's objects: another tenant's are {@code 404}, as if they did not exist. */
    public void requireTenant(String tenantId) {
        if (!canSee(tenantId)) {
            throw ApiException.notFound("tenant_not_found", "no tenant '" + tenantId + "'");
        }
    }

    /** The tenants a list is limited to: null for the platform admin (all). */
    public List<String> tenantFilter() {
        return platformAdmin ? null : List.copyOf(new TreeSet<>(tenantIds));
    }

    public JsonObject toJson(boolean invites) {
        return new JsonObject().put("object", "admin").put("actor", actor).put("username", username)
                .put("platform_admin", platformAdmin).put("tenant_ids", new JsonArray(List.copyOf(new TreeSet<>(tenantIds))))
                .put("identity", identity).put("invites", invites);
    }
}
