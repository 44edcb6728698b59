package io.lmaas.deploy.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

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
    static final String SENTENCE = "the central bank raised interest rates after the earnings call";

    private SkeletonBenchmark() {
    }

    public static void run(int requests) throws Exception {
        Path dataDir = ScratchDirs.create("lmaas-bench-").resolve("data"); // the up log beside it, in the scratch directory too
        System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
        UpProcess cold = UpProcess.start(dataDir);
        cold.stop();
        UpProcess warm = UpProcess.start(dataDir);
        try {
            // This run's internal worker token (lmaas up writes it at every start): the direct calls carry it.
            String workerToken = Files.readString(dataDir.resolve("secrets").resolve("worker-token")).trim();
            Latency latency = latency(warm, workerToken, requests);
            System.out.println();
            System.out.println("| measure | value |");
            System.out.println("|---|---|");
            row("cold start → first classification", seconds(cold.firstClassification()));
            row("cold start → first completion", seconds(cold.firstCompletion()));
            row("warm start → first classification", seconds(warm.firstClassification()));
            row("warm start → first completion", seconds(warm.firstCompletion()));
            row("cold / warm (first classification)", ratio(cold.firstClassification(), warm.firstClassification()));
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
    }

    private record Latency(long[] gateway, long[] direct) {
    }

    private static Latency latency(UpProcess s, String workerToken, int n) throws Exception {
        HttpResponse<String> d = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "/admin/v1/deployments"))
                .header("Authorization", "Bearer " + s.adminToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonArray deployments = new JsonObject(d.body()).getJsonArray("data");
        String worker = deployments.stream().map(JsonObject.class::cast)
                .filter(j -> j.getString("model").equals("starter-classifier")).findFirst().orElseThrow()
                .getJsonArray("endpoints").getJsonObject(0).getString("url");
        JsonObject viaGateway = new JsonObject().put("model", "starter-classifier").put("input", SENTENCE);
        JsonObject direct = new JsonObject().put("inputs", new JsonArray().add(SENTENCE));
        for (int i = 0; i < 50; i++) { // warm-up of both paths (JIT, connections)
            UpProcess.send(s.url() + "/v1/classifications", s.key(), viaGateway);
            UpProcess.send(worker + "/v1/classify", workerToken, direct);
        }
        long[] g = new long[n];
        long[] w = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            UpProcess.check(UpProcess.send(s.url() + "/v1/classifications", s.key(), viaGateway));
            g[i] = System.nanoTime() - t;
            t = System.nanoTime();
            UpProcess.check(UpProcess.send(worker + "/v1/classify", workerToken, direct));
            w[i] = System.nanoTime() - t;
        }
        return new Latency(g, w);
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

}
