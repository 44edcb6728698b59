package io.lmaas.deploy.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real {@code lmaas up} process of this distribution for benchmarks, started on a data directory and
 * awaited until both starter models answer; with a tenant, its key and the admin token.
 */
record UpProcess(Process process, String url, String adminToken, String key, long firstClassification, long firstCompletion) {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    void stop() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }

    /** Starts {@code lmaas up}; times (ns) from process start to the first answer of each starter model. */
    static UpProcess start(Path dataDir) throws Exception {
        return start(dataDir, List.of());
    }

    /** The same, with more flags for {@code lmaas up}. */
    static UpProcess start(Path dataDir, List<String> flags) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.lmaas.deploy.Main", "up",
                "--data-dir=" + dataDir, "--port=" + port));
        cmd.addAll(flags);
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolveSibling(dataDir.getFileName() + ".log").toFile()));
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process process = pb.start();
        String url = "http://127.0.0.1:" + port;
        String admin = null;
        String tenant = null;
        String key = null;
        long classified = 0;
        long completed = 0;
        long deadline = t0 + Duration.ofMinutes(10).toNanos();
        while ((classified == 0 || completed == 0) && System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("lmaas up exited with " + process.exitValue());
            }
            try {
                if (admin == null) {
                    admin = Files.readString(dataDir.resolve("admin-token")).trim();
                }
                if (tenant == null) {
                    HttpResponse<String> t = send(url + "/admin/v1/tenants", admin,
                            new JsonObject().put("name", "bench-" + System.nanoTime()));
                    tenant = t.statusCode() == 201 ? new JsonObject(t.body()).getString("id") : null;
                }
                if (tenant != null && key == null) {
                    key = new JsonObject(send(url + "/admin/v1/tenants/" + tenant + "/keys", admin,
                            new JsonObject().put("name", "bench")).body()).getString("key");
                }
                if (key != null && classified == 0 && send(url + "/v1/classifications", key,
                        new JsonObject().put("model", "starter-classifier").put("input", SkeletonBenchmark.SENTENCE)).statusCode() == 200) {
                    classified = System.nanoTime() - t0;
                }
                if (key != null && completed == 0 && send(url + "/v1/completions", key, new JsonObject()
                        .put("model", "starter-generator").put("prompt", "the storm").put("max_tokens", 8)).statusCode() == 200) {
                    completed = System.nanoTime() - t0;
                }
            } catch (IOException e) {
                // not listening yet, or the token file is not written yet
            }
            Thread.sleep(50);
        }
        if (classified == 0 || completed == 0) {
            process.destroyForcibly();
            throw new IllegalStateException("no answer within 10 minutes");
        }
        return new UpProcess(process, url, admin, key, classified, completed);
    }

    static void check(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException("unexpected " + r.statusCode() + ": " + r.body());
        }
    }

    static HttpResponse<String> send(String url, String bearer, JsonObject body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code POST /v1/files} as multipart form data; the file object. */
    JsonObject upload(String purpose, String filename, String content) throws IOException, InterruptedException {
        return upload(key, purpose, filename, content);
    }

    /** A new tenant (admin API) and an API key of it. */
    String newTenantKey(String name) throws IOException, InterruptedException {
        String tenant = call("/admin/v1/tenants", adminToken, new JsonObject().put("name", name)).getString("id");
        return call("/admin/v1/tenants/" + tenant + "/keys", adminToken, new JsonObject().put("name", "bench")).getString("key");
    }

    /** {@code POST /v1/files} with {@code bearer}'s key; the file object. */
    JsonObject upload(String bearer, String purpose, String filename, String content) throws IOException, InterruptedException {
        String boundary = "lmaas-" + System.nanoTime();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose + "\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/files")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        check(r);
        return new JsonObject(r.body());
    }

    /** A call with the tenant's key ({@code body} null: GET), checked for 200; the JSON answer. */
    JsonObject call(String path, JsonObject body) throws IOException, InterruptedException {
        return call(path, key, body);
    }

    /** A call with {@code bearer} ({@code body} null: GET), checked for 2xx; the JSON answer. */
    JsonObject call(String path, String bearer, JsonObject body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer);
        b = body == null ? b.GET() : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(path + ": unexpected " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    /** The raw body of a GET with the tenant's key. */
    String text(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
        check(r);
        return r.body();
    }

    static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
