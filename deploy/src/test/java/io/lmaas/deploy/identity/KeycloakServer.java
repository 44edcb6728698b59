package io.lmaas.deploy.identity;

import io.lmaas.gateway.identity.KeycloakSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Assumptions;
import org.keycloak.admin.client.CreatedResponseUtil;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * A real Keycloak for tests, one per test run: the one {@code .ci/run} started ahead of the build
 * ({@code LMAAS_TEST_KEYCLOAK_URL}, admin password in {@code LMAAS_TEST_KEYCLOAK_ADMIN_PASSWORD}), or else
 * started here from the {@code keycloak-quarkus-dist} zip Maven fetched, in dev mode with the project's
 * realm ({@code deploy/keycloak/lmaas-realm.json}) imported. Without the zip the tests are skipped, unless
 * {@code LMAAS_REQUIRE_KEYCLOAK} is set (CI), where that is a failure.
 */
public final class KeycloakServer {
    public static final String REALM = "lmaas";
    private static KeycloakServer shared;

    private final String url;
    private final String adminPassword;
    private final Process process;
    private Keycloak admin;

    private KeycloakServer(String url, String adminPassword, Process process) {
        this.url = url;
        this.adminPassword = adminPassword;
        this.process = process;
    }

    public static synchronized KeycloakServer shared() throws Exception {
        if (shared == null) {
            String external = System.getenv("LMAAS_TEST_KEYCLOAK_URL");
            shared = external != null && !external.isBlank()
                    ? new KeycloakServer(external, System.getenv("LMAAS_TEST_KEYCLOAK_ADMIN_PASSWORD"), null) : start();
            shared.awaitReady(Duration.ofMinutes(4));
        }
        return shared;
    }

    private static KeycloakServer start() throws Exception {
        Path zip = Path.of(System.getProperty("keycloak.dist", "missing"));
        boolean required = System.getenv("LMAAS_REQUIRE_KEYCLOAK") != null;
        if (!Files.isRegularFile(zip)) {
            if (required) {
                throw new IllegalStateException("the Keycloak distribution is missing: " + zip);
            }
            Assumptions.abort("no Keycloak distribution at " + zip + " (mvn fetches it; set LMAAS_REQUIRE_KEYCLOAK to fail instead)");
        }
        Path home = Path.of("target", "keycloak").toAbsolutePath();
        if (!Files.isRegularFile(home.resolve("bin/kc.sh"))) {
            unzip(zip, home);
        }
        // A fresh realm and admin each run: the dev-mode database of an earlier run is dropped.
        Path h2 = home.resolve("data/h2");
        if (Files.isDirectory(h2)) {
            try (var files = Files.walk(h2)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
        Path imports = Files.createDirectories(home.resolve("data/import"));
        Files.copy(Path.of(System.getProperty("lmaas.realm")), imports.resolve("lmaas-realm.json"), StandardCopyOption.REPLACE_EXISTING);
        int port = freePort();
        int management = freePort();
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev", "--import-realm",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + management, "--health-enabled=true")
                .redirectErrorStream(true).redirectOutput(home.resolveSibling("keycloak.log").toFile());
        Map<String, String> env = pb.environment();
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", password);
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }));
        return new KeycloakServer("http://127.0.0.1:" + port, password, p);
    }

    private void awaitReady(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        URI probe = URI.create(url + "/realms/" + REALM + "/.well-known/openid-configuration");
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + " (see target/keycloak.log)");
            }
            try {
                if (http.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Keycloak at " + url + " not ready within " + timeout);
    }

    public String url() {
        return url;
    }

    public String issuer() {
        return url + "/realms/" + REALM;
    }

    public synchronized RealmResource realm() {
        if (admin == null) {
            admin = KeycloakBuilder.builder().serverUrl(url).realm("master").clientId("admin-cli").username("admin")
                    .password(adminPassword).build();
        }
        return admin.realm(REALM);
    }

    /** The gateway's settings: the platform client's secret read from Keycloak (it generated it). */
    public KeycloakSettings settings() {
        ClientRepresentation platform = realm().clients().findByClientId(KeycloakSettings.ADMIN_CLIENT).get(0);
        String secret = realm().clients().get(platform.getId()).getSecret().getValue();
        return new KeycloakSettings(url, REALM, KeycloakSettings.CONSOLE_CLIENT, KeycloakSettings.AUDIENCE,
                KeycloakSettings.ADMIN_CLIENT, secret);
    }

    /** Lets the console client redirect back to a platform started on a random port. */
    public void allowConsoleAt(String origin) {
        ClientRepresentation console = realm().clients().findByClientId(KeycloakSettings.CONSOLE_CLIENT).get(0);
        List<String> uris = new ArrayList<>(console.getRedirectUris());
        if (!uris.contains(origin + "/console/*")) {
            uris.add(origin + "/console/*");
            console.setRedirectUris(uris);
            realm().clients().get(console.getId()).update(console);
        }
    }

    /** A user with a password and the given realm roles; returns the user id. */
    public String createUser(String username, String password, String... roles) {
        UserRepresentation u = new UserRepresentation();
        u.setUsername(username);
        u.setEmail(username.contains("@") ? username : username + "@example.test");
        u.setFirstName(username);
        u.setLastName("Test");
        u.setEnabled(true);
        u.setEmailVerified(true);
        String id;
        try (var r = realm().users().create(u)) {
            id = CreatedResponseUtil.getCreatedId(r);
        }
        CredentialRepresentation c = new CredentialRepresentation();
        c.setType(CredentialRepresentation.PASSWORD);
        c.setValue(password);
        c.setTemporary(false);
        realm().users().get(id).resetPassword(c);
        if (roles.length > 0) {
            realm().users().get(id).roles().realmLevel().add(java.util.Arrays.stream(roles)
                    .map(role -> realm().roles().get(role).toRepresentation()).toList());
        }
        return id;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void unzip(Path zip, Path home) throws IOException {
        Path tmp = Files.createDirectories(home.resolveSibling("keycloak-unzip"));
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = z.getNextEntry()) != null) {
                String name = e.getName();
                int slash = name.indexOf('/');
                String rel = slash < 0 ? name : name.substring(slash + 1); // drop keycloak-<version>/
                if (rel.isEmpty()) {
                    continue;
                }
                Path target = tmp.resolve(rel).normalize();
                if (!target.startsWith(tmp)) {
                    throw new IOException("bad entry " + name);
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(z, target, StandardCopyOption.REPLACE_EXISTING);
                    if (rel.startsWith("bin/") && rel.endsWith(".sh")) {
                        target.toFile().setExecutable(true);
                    }
                }
            }
        }
        Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
    }
}
