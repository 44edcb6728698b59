package io.lmaas.gateway.identity;

/**
 * Where the realm is and who the platform is in it. {@code url} is Keycloak's base URL as browsers reach
 * it (tokens carry {@code <url>/realms/<realm>} as issuer); {@code consoleClientId} the console's public
 * client; {@code audience} what console tokens must be addressed to; {@code adminClientId} and
 * {@code adminClientSecret} the confidential client whose service account provisions groups and users
 * (no secret: the console still signs in, invitations answer {@code identity_not_configured}).
 */
public record KeycloakSettings(String url, String realm, String consoleClientId, String audience, String adminClientId,
        String adminClientSecret) {
    public static final String DEFAULT_REALM = "lmaas";
    public static final String CONSOLE_CLIENT = "lmaas-console";
    public static final String AUDIENCE = "lmaas-gateway";
    public static final String ADMIN_CLIENT = "lmaas-platform";

    /**
     * From {@code --keycloak-url} (none: no Keycloak), {@code --keycloak-realm}, {@code --keycloak-console-client},
     * {@code --keycloak-audience}, {@code --keycloak-client-id} and the secret {@code LMAAS_KEYCLOAK_CLIENT_SECRET}.
     */
    public static java.util.Optional<KeycloakSettings> from(io.lmaas.core.config.Settings s) {
        return s.optional("keycloak-url").map(url -> new KeycloakSettings(url, s.string("keycloak-realm", DEFAULT_REALM),
                s.string("keycloak-console-client", CONSOLE_CLIENT), s.string("keycloak-audience", AUDIENCE),
                s.string("keycloak-client-id", ADMIN_CLIENT), s.optional("keycloak-client-secret").orElse(null)));
    }

    @Override
    public String toString() {
        return "KeycloakSettings[url=" + url + ", realm=" + realm + ", consoleClientId=" + consoleClientId + ", audience="
                + audience + ", adminClientId=" + adminClientId + ", adminClientSecret=<redacted>]";
    }

    public KeycloakSettings {
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public String issuer() {
        return url + "/realms/" + realm;
    }

    public String jwksUrl() {
        return issuer() + "/protocol/openid-connect/certs";
    }

    public boolean canProvision() {
        return adminClientSecret != null && !adminClientSecret.isBlank();
    }
}
