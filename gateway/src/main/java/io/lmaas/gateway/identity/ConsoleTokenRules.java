package io.lmaas.gateway.identity;

import io.lmaas.gateway.auth.AdminPrincipal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a signed console token must say (pure): the realm as issuer, the gateway among its audiences, not
 * expired (30 s of clock skew), and a console role. Roles come from {@code realm_access.roles}; a tenant
 * admin's tenants from the {@code groups} claim ({@code tenant-<id>}, with or without a leading slash).
 */
public final class ConsoleTokenRules {
    public static final String PLATFORM_ADMIN = "platform-admin";
    public static final String TENANT_ADMIN = "tenant-admin";
    public static final String GROUP_PREFIX = "tenant-";
    private static final long SKEW_SECONDS = 30;

    /** A signed token whose claims are not acceptable. {@code forbidden}: valid, but no console role. */
    public static final class Refused extends Exception {
        private final boolean forbidden;

        Refused(String message, boolean forbidden) {
            super(message);
            this.forbidden = forbidden;
        }

        public boolean forbidden() {
            return forbidden;
        }
    }

    private final String issuer;
    private final String audience;

    public ConsoleTokenRules(String issuer, String audience) {
        this.issuer = issuer;
        this.audience = audience;
    }

    public AdminPrincipal principal(JsonObject claims, Instant now) throws Refused {
        if (claims.getValue("typ") instanceof String typ && !"Bearer".equals(typ)) {
            throw new Refused("a " + typ + " token is not an access token", false); // e.g. an ID or refresh token
        }
        if (!issuer.equals(claims.getValue("iss"))) {
            throw new Refused("the token was not issued by " + issuer, false);
        }
        if (!audiences(claims.getValue("aud")).contains(audience)) {
            throw new Refused("the token is not meant for " + audience, false);
        }
        long t = now.getEpochSecond();
        if (!(claims.getValue("exp") instanceof Number exp) || exp.longValue() + SKEW_SECONDS < t) {
            throw new Refused("the token has expired", false);
        }
        if (claims.getValue("nbf") instanceof Number nbf && nbf.longValue() - SKEW_SECONDS > t) {
            throw new Refused("the token is not valid yet", false);
        }
        Set<String> roles = strings(claims.getJsonObject("realm_access", new JsonObject()).getValue("roles"));
        String username = claims.getValue("preferred_username") instanceof String u ? u : String.valueOf(claims.getValue("sub"));
        String actor = "user:" + username;
        if (roles.contains(PLATFORM_ADMIN)) {
            return new AdminPrincipal(actor, username, true, Set.of(), "keycloak");
        }
        if (roles.contains(TENANT_ADMIN)) {
            Set<String> tenants = new HashSet<>();
            for (String g : strings(claims.getValue("groups"))) {
                String name = g.startsWith("/") ? g.substring(1) : g;
                if (name.startsWith(GROUP_PREFIX) && name.length() > GROUP_PREFIX.length() && !name.contains("/")) {
                    tenants.add(name.substring(GROUP_PREFIX.length()));
                }
            }
            return new AdminPrincipal(actor, username, false, Set.copyOf(tenants), "keycloak");
        }
        throw new Refused("the user " + username + " has neither the platform-admin nor the tenant-admin role", true);
    }

    private static Set<String> audiences(Object aud) {
        return aud instanceof String s ? Set.of(s) : strings(aud);
    }

    private static Set<String> strings(Object value) {
        Set<String> out = new HashSet<>();
        if (value instanceof JsonArray a) {
            for (Object o : a) {
                if (o instanceof String s) {
                    out.add(s);
                }
            }
        } else if (value instanceof List<?> l) {
            l.forEach(o -> {
                if (o instanceof String s) {
                    out.add(s);
                }
            });
        }
        return out;
    }
}
