package io.lmaas.gateway.identity;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.keycloak.OAuth2Constants;
import org.keycloak.admin.client.CreatedResponseUtil;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.GroupResource;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.GroupRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;
import org.keycloak.representations.idm.UserRepresentation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's side of identity in Keycloak, through the admin client as the confidential client's
 * service account: one group per tenant ({@code tenant-<id>}, attribute {@code tenant_id}); inviting a
 * tenant admin creates the user (or finds them by e-mail), gives them the {@code tenant-admin} realm role
 * and puts them in the tenant's group. Calls are blocking and run on worker threads; Keycloak being down
 * or refusing the platform is {@code 503 identity_unavailable} — API keys never come here.
 */
public final class KeycloakDirectory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeycloakDirectory.class);

    /** A tenant admin as the console lists them. */
    public record Member(String id, String username, String email) {
        public JsonObject toJson() {
            return new JsonObject().put("id", id).put("object", "tenant_admin").put("username", username).put("email", email);
        }
    }

    /** The outcome of an invitation: the user, and whether the user was created by it. */
    public record Invited(Member member, boolean created) {
    }

    private final Vertx vertx;
    private final KeycloakSettings settings;
    private final Keycloak keycloak;

    public KeycloakDirectory(Vertx vertx, KeycloakSettings settings) {
        this.vertx = vertx;
        this.settings = settings;
        this.keycloak = KeycloakBuilder.builder().serverUrl(settings.url()).realm(settings.realm())
                .grantType(OAuth2Constants.CLIENT_CREDENTIALS).clientId(settings.adminClientId())
                .clientSecret(settings.adminClientSecret()).build();
    }

    /** The tenant's group, created if missing (idempotent). */
    public Future<Void> ensureTenantGroup(String tenantId, String tenantName) {
        return blocking(() -> {
            if (findGroup(realm(), tenantId) == null) {
                GroupRepresentation g = new GroupRepresentation();
                g.setName(groupName(tenantId));
                g.setAttributes(Map.of("tenant_id", List.of(tenantId), "tenant_name", List.of(tenantName)));
                try (Response r = realm().groups().add(g)) {
                    if (r.getStatus() != 201 && r.getStatus() != 409) {
                        throw new WebApplicationException(r.getStatus());
                    }
                }
            }
            return null;
        });
    }

    public Future<List<Member>> admins(String tenantId) {
        return blocking(() -> group(realm(), tenantId).members(0, 500).stream().map(KeycloakDirectory::member).toList());
    }

    /**
     * Creates the user (with {@code password}, if given) or finds them by e-mail (their credentials untouched);
     * gives the tenant-admin role; joins the tenant's group.
     */
    public Future<Invited> invite(String tenantId, String tenantName, String email, String firstName, String lastName, String password,
            boolean temporary) {
        return ensureTenantGroup(tenantId, tenantName).compose(v -> blocking(() -> {
            RealmResource realm = realm();
            GroupResource group = group(realm, tenantId);
            List<UserRepresentation> found = realm.users().searchByEmail(email, true);
            boolean created = found.isEmpty();
            String userId;
            if (created) {
                UserRepresentation u = new UserRepresentation();
                u.setUsername(email);
                u.setEmail(email);
                // Keycloak's user profile wants both names before a first sign-in completes.
                u.setFirstName(firstName != null ? firstName : email.substring(0, email.indexOf('@')));
                u.setLastName(lastName != null ? lastName : tenantName);
                u.setEnabled(true);
                u.setEmailVerified(true);
                try (Response r = realm.users().create(u)) {
                    if (r.getStatus() == 409) {
                        throw ApiException.conflict("user_exists", "A user named '" + email + "' already exists with another"
                                + " e-mail address.");
                    }
                    userId = CreatedResponseUtil.getCreatedId(r);
                }
            } else {
                userId = found.get(0).getId();
            }
            // Only a user made by this invitation gets the password: an existing account's credentials are never
            // touched (a tenant admin could otherwise take over any account by naming its e-mail).
            if (password != null && created) {
                CredentialRepresentation c = new CredentialRepresentation();
                c.setType(CredentialRepresentation.PASSWORD);
                c.setValue(password);
                c.setTemporary(temporary);
                realm.users().get(userId).resetPassword(c);
            }
            RoleRepresentation role = realm.roles().get(ConsoleTokenRules.TENANT_ADMIN).toRepresentation();
            realm.users().get(userId).roles().realmLevel().add(List.of(role));
            realm.users().get(userId).joinGroup(group.toRepresentation().getId());
            return new Invited(member(realm.users().get(userId).toRepresentation()), created);
        }));
    }

    /** Takes the user out of the tenant's group (the account stays: it may admin other tenants). */
    public Future<Boolean> remove(String tenantId, String userId) {
        return blocking(() -> {
            RealmResource realm = realm();
            GroupResource group = group(realm, tenantId);
            boolean member = group.members(0, 500).stream().anyMatch(u -> u.getId().equals(userId));
            if (member) {
                realm.users().get(userId).leaveGroup(group.toRepresentation().getId());
            }
            return member;
        });
    }

    /** Deletes the tenant's group (its members' accounts stay: they may admin other tenants); true if there was one. */
    public Future<Boolean> deleteTenantGroup(String tenantId) {
        return blocking(() -> {
            GroupRepresentation g = findGroup(realm(), tenantId);
            if (g == null) {
                return false;
            }
            realm().groups().group(g.getId()).remove();
            return true;
        });
    }

    public static String groupName(String tenantId) {
        return ConsoleTokenRules.GROUP_PREFIX + tenantId;
    }

    private RealmResource realm() {
        return keycloak.realm(settings.realm());
    }

    private static GroupRepresentation findGroup(RealmResource realm, String tenantId) {
        return realm.groups().groups(groupName(tenantId), true, 0, 5, true).stream()
                .filter(g -> g.getName().equals(groupName(tenantId))).findFirst().orElse(null);
    }

    private static GroupResource group(RealmResource realm, String tenantId) {
        GroupRepresentation g = findGroup(realm, tenantId);
        if (g == null) {
            throw ApiException.notFound("tenant_group_not_found", "Tenant " + tenantId + " has no group in Keycloak yet.");
        }
        return realm.groups().group(g.getId());
    }

    private static Member member(UserRepresentation u) {
        return new Member(u.getId(), u.getUsername(), u.getEmail());
    }

    private <T> Future<T> blocking(Callable<T> call) {
        return vertx.executeBlocking(call, false).recover(e -> Future.failedFuture(map(e)));
    }

    private Throwable map(Throwable e) {
        if (e instanceof ApiException) {
            return e;
        }
        if (e instanceof NotFoundException) {
            return ApiException.notFound("user_not_found", "No such user in the realm.");
        }
        if (e instanceof ProcessingException || e instanceof WebApplicationException) {
            LOG.warn("Keycloak at {} failed: {}", settings.url(), e.toString());
            return ApiException.unavailable("identity_unavailable", "The identity provider (Keycloak) cannot be reached or"
                    + " refused the platform's client; tenants' API keys are not affected. Try again shortly.", 5);
        }
        return e;
    }

    @Override
    public void close() {
        keycloak.close();
    }
}
