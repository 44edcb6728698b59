package io.lmaas.deploy.bench;

import io.vertx.core.json.JsonArray;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code lmaas bench}: the walking skeleton's figures, measured in one run on this machine.
 * <ol>
 *   <li>Cold start: {@code lmaas up} on an empty data directory (PostgreSQL initdb, starter models trained)
 *       until the first classification and the first completion answer through the gateway.
 *   <li>Warm start: the same again on the now-populated data directory.
 *   <li>Classification latency of one sentence through the gateway (auth, metering row, routing) versus
 *       the same request sent straight to the worker, interleaved so both see the same conditions.
 * </ol>
 * Each platform is a real {@code lmaas up} process of this distribution.
 */
public final class SkeletonBenchmark {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private static final String SENTENCE = "the central bank raised interest rates after the earnings call";

    private SkeletonBenchmark() {
    }

    public static void run(int requests) throws Exception {
        Path dataDir = Files.createTempDirectory("lmaas-bench-");
        try {
            System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, java %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
            Start cold = start(dataDir);
            cold.stop();
            Start warm = start(dataDir);
            try {
                Latency latency = latency(warm, requests);
                System.out.println();
                System.out.println("| measure | value |");
                System.out.println("|---|---|");
                row("cold start → first classification", seconds(cold.firstClassification));
                row("cold start → first completion", seconds(cold.firstCompletion));
                row("warm start → first classification", seconds(warm.firstClassification));
                row("warm start → first completion", seconds(warm.firstCompletion));
                row("cold / warm (first classification)", ratio(cold.firstClassification, warm.firstClassification));
                row("classification p50 via gateway", millis(latency.gateway, 0.50));
                row("classification p50 direct to worker", millis(latency.direct, 0.50));
                row("classification p99 via gateway", millis(latency.gateway, 0.99));
                row("classification p99 direct to worker", millis(latency.direct, 0.99));
                row("gateway / direct (p50)", ratio(percentile(latency.gateway, 0.5), percentile(latency.direct, 0.5)));
                row("gateway overhead at p50", millis(new long[] {percentile(latency.gateway, 0.5)
                        - percentile(latency.direct, 0.5)}, 0.5));
                row("requests per path", Integer.toString(requests));
            } finally {
                warm.stop();
            }
        } finally {
            deleteRecursively(dataDir);
        }
    }

    private record Start(Process process, String url, String adminToken, String key, long firstClassification,
            long firstCompletion) {
        void stop() throws InterruptedException {
            process.destroy();
            process.waitFor();
        }
    }

    private record Latency(long[] gateway, long[] direct) {
    }

    /** Starts {@code lmaas up}; times (ns) from process start to the first answer of each starter model. */
    private static Start start(Path dataDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.lmaas.deploy.Main", "up",
                "--data-dir=" + dataDir, "--port=" + port);
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
                        new JsonObject().put("model", "starter-classifier").put("input", SENTENCE)).statusCode() == 200) {
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
        return new Start(process, url, admin, key, classified, completed);
    }

    private static Latency latency(Start s, int n) throws Exception {
        HttpResponse<String> d = HTTP.send(HttpRequest.newBuilder(URI.create(s.url + "/admin/v1/deployments"))
                .header("Authorization", "Bearer " + s.adminToken).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonArray deployments = new JsonObject(d.body()).getJsonArray("data");
        String worker = deployments.stream().map(JsonObject.class::cast)
                .filter(j -> j.getString("model").equals("starter-classifier")).findFirst().orElseThrow()
                .getJsonArray("endpoints").getJsonObject(0).getString("url");
        JsonObject viaGateway = new JsonObject().put("model", "starter-classifier").put("input", SENTENCE);
        JsonObject direct = new JsonObject().put("inputs", new JsonArray().add(SENTENCE));
        for (int i = 0; i < 50; i++) { // warm-up of both paths (JIT, connections)
            send(s.url + "/v1/classifications", s.key, viaGateway);
            send(worker + "/v1/classify", null, direct);
        }
        long[] g = new long[n];
        long[] w = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            check(send(s.url + "/v1/classifications", s.key, viaGateway));
            g[i] = System.nanoTime() - t;
            t = System.nanoTime();
            check(send(worker + "/v1/classify", null, direct));
            w[i] = System.nanoTime() - t;
        }
        return new Latency(g, w);
    }

    private static void check(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException("unexpected " + r.statusCode() + ": " + r.body());
        }
    }

    private static HttpResponse<String> send(String url, String bearer, JsonObject body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static long percentile(long[] values, double p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static void row(String name, String value) {
        System.out.println("| " + name + " | " + value + " |");
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    private static String millis(long[] nanos, double p) {
        return String.format(Locale.ROOT, "%.2f ms", percentile(nanos, p) / 1e6);
    }

    private static String ratio(long a, long b) {
        return String.format(Locale.ROOT, "%.2f×", (double) a / b);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
