package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.deploy.identity.KeycloakServer;
import io.lmaas.deploy.identity.OidcLogin;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.lmaas.gateway.identity.KeycloakSettings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API with a real Keycloak: console tokens from the real login flow, platform and tenant admins,
 * tenant groups and invitations provisioned in Keycloak, and what happens when Keycloak is down.
 */
class ConsoleIdentityTest {
    private static KeycloakServer keycloak;
    private static Platform platform;
    private static String opsToken;
    private static String ops;

    @BeforeAll
    static void start() throws Exception {
        keycloak = KeycloakServer.shared();
        Path dir = Platform.dataDir("identity");
        platform = Platform.start(dir, Optional.empty(), false, Optional.of(keycloak.settings()));
        keycloak.allowConsoleAt(platform.platform.url());
        ops = "ops-" + System.nanoTime();
        keycloak.createUser(ops, "ops-password-1", "platform-admin");
        opsToken = OidcLogin.accessToken(keycloak, platform.platform.url(), ops, "ops-password-1");
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void platformAndTenantAdminsSeeWhatTheirRolesAllow() throws Exception {
        JsonObject me = platform.send("GET", "/admin/v1/me", opsToken, null).json();
        assertThat(me.getBoolean("platform_admin")).isTrue();
        assertThat(me.getString("identity")).isEqualTo("keycloak");
        assertThat(me.getBoolean("invites")).isTrue();

        // Creating a tenant provisions its group in Keycloak; the audit log names the signed-in user.
        Platform.Response created = platform.send("POST", "/admin/v1/tenants", opsToken, new JsonObject().put("name", "kc-acme"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String acme = created.json().getString("id");
        String globex = platform.send("POST", "/admin/v1/tenants", opsToken, new JsonObject().put("name", "kc-globex")).json()
                .getString("id");
        assertThat(keycloak.realm().groups().groups(KeycloakDirectory.groupName(acme), true, 0, 5, true)).hasSize(1);
        JsonObject audit = platform.send("GET", "/admin/v1/audit?tenant_id=" + acme, opsToken, null).json();
        assertThat(audit.getJsonArray("data").getJsonObject(0).getString("actor")).isEqualTo(me.getString("actor"));

        // Inviting a tenant admin creates the user, gives the role, joins the group.
        String email = "admin-" + System.nanoTime() + "@acme.test";
        Platform.Response invited = platform.send("POST", "/admin/v1/tenants/" + acme + "/admins", opsToken, new JsonObject()
                .put("email", email).put("password", "acme-password-1").put("temporary_password", false));
        assertThat(invited.status()).as(invited.body()).isEqualTo(201);
        assertThat(invited.json().getBoolean("created")).isTrue();
        assertThat(platform.send("GET", "/admin/v1/tenants/" + acme + "/admins", opsToken, null).json().getJsonArray("data")
                .getJsonObject(0).getString("email")).isEqualTo(email);
        Platform.Response again = platform.send("POST", "/admin/v1/tenants/" + acme + "/admins", opsToken,
                new JsonObject().put("email", email));
        assertThat(again.json().getBoolean("created")).isFalse();

        String tenantToken = OidcLogin.accessToken(keycloak, platform.platform.url(), email, "acme-password-1");
        JsonObject tenantMe = platform.send("GET", "/admin/v1/me", tenantToken, null).json();
        assertThat(tenantMe.getBoolean("platform_admin")).isFalse();
        assertThat(tenantMe.getJsonArray("tenant_ids").getList()).containsExactly(acme);
        // Only their tenant, everywhere.
        assertThat(platform.send("GET", "/admin/v1/tenants", tenantToken, null).json().getJsonArray("data").stream()
                .map(t -> ((JsonObject) t).getString("id")).toList()).containsExactly(acme);
        for (String path : List.of("/admin/v1/tenants/" + globex, "/admin/v1/tenants/" + globex + "/keys",
                "/admin/v1/tenants/" + globex + "/usage", "/admin/v1/tenants/" + globex + "/limits",
                "/admin/v1/audit?tenant_id=" + globex, "/admin/v1/jobs?tenant_id=" + globex)) {
            Platform.Response r = platform.send("GET", path, tenantToken, null);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.json().getJsonObject("error").getString("code")).isEqualTo("tenant_not_found");
        }
        Platform.Response key = platform.send("POST", "/admin/v1/tenants/" + acme + "/keys", tenantToken,
                new JsonObject().put("name", "ci"));
        assertThat(key.status()).as(key.body()).isEqualTo(201);
        assertThat(platform.send("GET", "/v1/models", key.json().getString("key"), null).status()).isEqualTo(200);
        // Naming an existing account's e-mail adds it to the tenant but never touches its password: no takeover.
        Platform.Response hijack = platform.send("POST", "/admin/v1/tenants/" + acme + "/admins", tenantToken, new JsonObject()
                .put("email", ops + "@example.test").put("password", "hijacked-password").put("temporary_password", false));
        assertThat(hijack.status()).as(hijack.body()).isEqualTo(201);
        assertThat(hijack.json().getBoolean("created")).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OidcLogin.accessToken(keycloak, platform.platform.url(), ops,
                "hijacked-password")).hasMessageContaining("login refused");
        assertThat(OidcLogin.accessToken(keycloak, platform.platform.url(), ops, "ops-password-1")).isNotBlank();
        // Platform-wide changes, the tenant's own quota included, are the platform admin's.
        Platform.Response ownLimits = platform.send("PUT", "/admin/v1/tenants/" + acme + "/limits", tenantToken,
                new JsonObject().putNull("rpm"));
        assertThat(ownLimits.status()).isEqualTo(403);
        assertThat(ownLimits.json().getJsonObject("error").getString("code")).isEqualTo("platform_admin_required");
        assertThat(platform.send("GET", "/admin/v1/tenants/" + acme + "/limits", tenantToken, null).status()).isEqualTo(200);
        String boundary = "b" + System.nanoTime();
        java.net.http.HttpResponse<String> upload = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(platform.platform.url() + "/admin/v1/models/acme-private/versions/upload"))
                .header("Authorization", "Bearer " + tenantToken).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data;"
                        + " name=\"version\"\r\n\r\n1\r\n--" + boundary + "--\r\n")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as("a model upload is the platform admin's, refused before its body is read").isEqualTo(403);
        Platform.Response forbidden = platform.send("POST", "/admin/v1/tenants", tenantToken, new JsonObject().put("name", "x"));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.json().getJsonObject("error").getString("code")).isEqualTo("platform_admin_required");
        assertThat(platform.send("POST", "/admin/v1/deployments", tenantToken, new JsonObject().put("model", "m")
                .put("version", "1").put("replicas", 1)).status()).isEqualTo(403);
        // Another tenant's private model is not in their lists; lists page on the server.
        assertThat(platform.send("POST", "/admin/v1/models", opsToken, new JsonObject().put("id", "globex-private")
                .put("task", "text-classification").put("owner_tenant_id", globex)).status()).isEqualTo(201);
        assertThat(platform.send("POST", "/admin/v1/models", opsToken, new JsonObject().put("id", "acme-private")
                .put("task", "text-classification").put("owner_tenant_id", acme)).status()).isEqualTo(201);
        assertThat(ids(platform.send("GET", "/admin/v1/models", tenantToken, null).json())).contains("acme-private")
                .doesNotContain("globex-private");
        assertThat(ids(platform.send("GET", "/admin/v1/models", opsToken, null).json())).contains("acme-private", "globex-private");
        JsonObject first = platform.send("GET", "/admin/v1/models?limit=1", opsToken, null).json();
        assertThat(first.getBoolean("has_more")).isTrue();
        JsonObject second = platform.send("GET", "/admin/v1/models?limit=1&after=" + first.getString("last_id"), opsToken, null).json();
        assertThat(ids(second)).hasSize(1).doesNotContainAnyElementsOf(ids(first));

        // The overview counts only their tenant's traffic (the key's /v1/models call).
        // (The hourly roll-up runs a few seconds behind the ledger.)
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> platform.send("GET",
                "/admin/v1/overview?hours=24", tenantToken, null).json().getJsonObject("totals").getLong("requests") >= 1);
        JsonObject overview = platform.send("GET", "/admin/v1/overview?hours=24", tenantToken, null).json();
        assertThat(overview.getJsonObject("totals").getLong("requests")).isEqualTo(1);
        assertThat(overview.getJsonArray("series")).hasSize(24);
    }

    private static List<String> ids(JsonObject list) {
        return list.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")).toList();
    }

    @Test
    void tokensThatAreNotTheRealmsConsoleTokensAreRefused() throws Exception {
        // A user without a console role: signed in fine, refused by the gateway.
        String nobody = "nobody-" + System.nanoTime();
        keycloak.createUser(nobody, "nobody-password-1");
        Platform.Response noRole = platform.send("GET", "/admin/v1/me", OidcLogin.accessToken(keycloak, platform.platform.url(),
                nobody, "nobody-password-1"), null);
        assertThat(noRole.status()).isEqualTo(403);
        assertThat(noRole.json().getJsonObject("error").getString("code")).isEqualTo("no_console_role");
        // Signed with another key, or tampered with, or not a JWT.
        String[] parts = opsToken.split("\\.");
        String tampered = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
        for (String bad : List.of(tampered, "a.b.c", "not-a-token")) {
            Platform.Response r = platform.send("GET", "/admin/v1/me", bad, null);
            assertThat(r.status()).as(bad).isEqualTo(401);
        }
        assertThat(platform.send("GET", "/console/config.json", null, null).json()).isEqualTo(new JsonObject()
                .put("auth", "keycloak").put("issuer", keycloak.issuer()).put("client_id", "lmaas-console"));
    }

    @Test
    void withKeycloakDownTenantsAndKeysWorkAndIdentityCallsSay503() throws Exception {
        KeycloakSettings real = keycloak.settings();
        KeycloakSettings dead = new KeycloakSettings("http://127.0.0.1:9", real.realm(), real.consoleClientId(), real.audience(),
                real.adminClientId(), real.adminClientSecret());
        Path dir = Platform.dataDir("identity-down");
        try (Platform down = Platform.start(dir, Optional.empty(), false, Optional.of(dead))) {
            String admin = down.adminToken();
            Platform.Response tenant = down.send("POST", "/admin/v1/tenants", admin, new JsonObject().put("name", "offline-co"));
            assertThat(tenant.status()).as(tenant.body()).isEqualTo(201);
            String id = tenant.json().getString("id");
            String key = down.createKey(id);
            assertThat(down.send("GET", "/v1/models", key, null).status()).isEqualTo(200);

            Platform.Response invite = down.send("POST", "/admin/v1/tenants/" + id + "/admins", admin,
                    new JsonObject().put("email", "a@offline.test"));
            assertThat(invite.status()).isEqualTo(503);
            assertThat(invite.json().getJsonObject("error").getString("code")).isEqualTo("identity_unavailable");
            assertThat(invite.retryAfter()).isNotNull();
            Platform.Response console = down.send("GET", "/admin/v1/me", opsToken, null);
            assertThat(console.status()).isEqualTo(503);
            assertThat(console.json().getJsonObject("error").getString("code")).isEqualTo("identity_unavailable");
        }
    }
}
