package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A platform in local mode started for a test, and a plain JDK HTTP client to talk to it as users do. */
final class Platform implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final Path dataDir;
    final LocalPlatform platform;

    private Platform(Path dataDir, LocalPlatform platform) {
        this.dataDir = dataDir;
        this.platform = platform;
    }

    /**
     * A new data directory {@code target/<name>-<millis>} for a test's platform. When the test JVM exits, everything in
     * it but the platform's logs is deleted: a real-models run writes over a gigabyte there, and runs must not pile up
     * on a shared disk.
     */
    static Path dataDir(String name) throws IOException {
        Path dir = Files.createDirectories(Path.of("target", name + "-" + System.currentTimeMillis()).toAbsolutePath());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var children = Files.list(dir)) {
                children.filter(c -> !c.getFileName().toString().equals("logs")).forEach(io.lmaas.core.testing.TempDirs::delete);
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // best effort at exit
            }
        }, "delete " + dir.getFileName()));
        return dir;
    }

    static Platform start(Path dataDir) throws Exception {
        return start(dataDir, Optional.empty(), true);
    }

    static Platform start(Path dataDir, Optional<String> databaseUrl, boolean starters) throws Exception {
        return start(dataDir, databaseUrl, starters, Optional.empty());
    }

    static Platform start(Path dataDir, Optional<String> databaseUrl, boolean starters,
            Optional<io.lmaas.gateway.identity.KeycloakSettings> keycloak) throws Exception {
        return start(dataDir, databaseUrl, starters, false, keycloak);
    }

    /** A platform that also serves (or not) the real embedding models. */
    static Platform start(Path dataDir, Optional<String> databaseUrl, boolean starters, boolean realModels,
            Optional<io.lmaas.gateway.identity.KeycloakSettings> keycloak) throws Exception {
        return start(dataDir, databaseUrl, starters, realModels, keycloak, List.of());
    }

    /**
     * No free-space floor for the test platforms' uploads: what the suite expects cannot depend on how full the machine's
     * disk is (HostileRequestsTest covers the floor itself).
     */
    static final long UPLOAD_MIN_FREE = 0;

    /** How long the test platforms keep an idle batch worker (short: a test sees one end). */
    static final Duration BATCH_WORKER_LINGER = Duration.ofSeconds(10);

    /** With JVM options of its own for every worker and job process (fault-injection points of tests); no standby batch worker. */
    static Platform start(Path dataDir, Optional<String> databaseUrl, boolean starters, boolean realModels,
            Optional<io.lmaas.gateway.identity.KeycloakSettings> keycloak, List<String> workerOptions) throws Exception {
        return start(dataDir, databaseUrl, starters, realModels, keycloak, workerOptions, Optional.empty());
    }

    /**
     * With a standby batch worker warming up on {@code standbyModel} (the suite's platforms run none unless a test asks:
     * on the suite's two cores its warm-up would slow the other tests' workers).
     */
    static Platform start(Path dataDir, Optional<String> databaseUrl, boolean starters, boolean realModels,
            Optional<io.lmaas.gateway.identity.KeycloakSettings> keycloak, List<String> workerOptions,
            Optional<String> standbyModel) throws Exception {
        // The product's worker options, with a smaller maximum heap and the JVM's own initial heap for the suite's machine.
        List<String> options = new java.util.ArrayList<>(List.of("-Xmx512m"));
        io.lmaas.scheduler.local.LocalBackendConfig.WORKER_JVM_OPTIONS.stream()
                .filter(o -> !o.startsWith("-Xmx") && !o.startsWith("-Xms")).forEach(options::add);
        options.addAll(workerOptions);
        PlatformConfig config = new PlatformConfig("127.0.0.1", 0, dataDir, databaseUrl, starters, realModels,
                io.lmaas.gateway.GatewayConfig.DEFAULT_BODY_LIMIT, 64L * 1024 * 1024, UPLOAD_MIN_FREE, System.getProperty("java.class.path"),
                Path.of(System.getProperty("java.home"), "bin", "java"),
                options, 42L, keycloak, BATCH_WORKER_LINGER, standbyModel);
        return new Platform(dataDir, LocalPlatform.start(config));
    }

    String adminToken() throws IOException {
        return Files.readString(platform.adminTokenFile()).trim();
    }

    /** A JSON request; returns status and body (parsed when JSON). */
    Response send(String method, String path, String bearer, JsonObject body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(platform.url() + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.encode()));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), r.headers().firstValue("retry-after").orElse(null));
    }

    /** Uploads a file ({@code POST /v1/files}, multipart) and returns the file object. */
    JsonObject upload(String key, String purpose, String filename, String content) throws Exception {
        String boundary = "lmaas-" + System.nanoTime();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose + "\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        HttpRequest req = HttpRequest.newBuilder(URI.create(platform.url() + "/v1/files")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    String createTenant(String name) throws Exception {
        Response r = send("POST", "/admin/v1/tenants", adminToken(), new JsonObject().put("name", name));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().getString("id");
    }

    String createKey(String tenantId) throws Exception {
        Response r = send("POST", "/admin/v1/tenants/" + tenantId + "/keys", adminToken(), new JsonObject().put("name", "e2e"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().getString("key");
    }

    record Response(int status, String body, String retryAfter) {
        JsonObject json() {
            return new JsonObject(body);
        }
    }

    @Override
    public void close() {
        platform.close();
    }
}
