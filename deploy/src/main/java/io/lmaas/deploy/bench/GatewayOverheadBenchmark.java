package io.lmaas.deploy.bench;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.core.secrets.WorkerToken;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code lmaas bench gateway}: what the gateway costs in front of a trivial upstream, measured with wrk
 * (Debian) against an nginx reverse proxy (Debian) to the same upstream. The upstream is an nginx server
 * answering the worker's classification JSON; the gateway runs as its own process with auth, a tenant with
 * limits on every budget (so every request goes through quota admission) and the usage ledger on.
 * Reports throughput at saturation (64 connections) and latency at about 1,000 requests/s (10
 * connections each pausing 10 ms between requests: wrk's {@code delay()}), and the same for the Vert.x floor
 * ({@link FloorProxy}): what a proxy on the gateway's framework costs with none of the gateway's work.
 */
public final class GatewayOverheadBenchmark {
    private static final String ADMIN = "bench-admin-token-0123456789abcdef";
    private static final String UPSTREAM_JSON = "{\"tokens\":[4],\"data\":[{\"index\":0,\"label\":\"positive\",\"score\":0.9,"
            + "\"scores\":{\"positive\":0.9,\"negative\":0.1}}]}";

    private GatewayOverheadBenchmark() {
    }

    public static void run(int seconds) throws Exception {
        run(seconds, 1);
    }

    /**
     * As above; with {@code processes} > 1 it then also runs 1, 2, … {@code processes} gateway processes on the same
     * database at once (wrk against each, 64 connections shared), for the throughput per process: what keeping quotas
     * exact across replicas costs on one machine.
     */
    public static void run(int seconds, int processes) throws Exception {
        Path dir = ScratchDirs.create("lmaas-gateway-bench-");
        int upstream = freePort();
        int proxy = freePort();
        int gatewayPort = freePort();
        EmbeddedDatabase database = EmbeddedDatabase.start(dir.resolve("pg"));
        Vertx vertx = Vertx.vertx();
        Process nginx = null;
        Process gateway = null;
        List<Process> more = new ArrayList<>();
        try {
            DatabaseUrl url = database.url();
            Migrations.migrate(url);
            nginx = startNginx(dir, upstream, proxy);
            Pool pool = Pools.create(vertx, url, 2);
            new ModelCatalogRepository(pool).register(new ModelRecord("bench", ModelTask.TEXT_CLASSIFICATION, null, null, null),
                    "1", "file:///bench").await(10, TimeUnit.SECONDS);
            String dep = new DeploymentRepository(pool).ensure("bench", "1", 1).await(10, TimeUnit.SECONDS);
            new EndpointRepository(pool).replaceAll(List.of(new ObservedEndpoint(dep, 0, EndpointState.READY,
                    "http://127.0.0.1:" + upstream, null, 0, null))).await(10, TimeUnit.SECONDS);
            gateway = startGateway(dir, url, gatewayPort);
            String base = "http://127.0.0.1:" + gatewayPort;
            String tenant = new JsonObject(post(base + "/admin/v1/tenants", ADMIN, new JsonObject().put("name", "bench")))
                    .getString("id");
            put(base + "/admin/v1/tenants/" + tenant + "/limits", ADMIN, new JsonObject().put("rpm", 1_000_000_000L)
                    .put("tpm", 1_000_000_000_000L).put("tokens_per_day", 1_000_000_000_000L)
                    .put("tokens_per_month", 1_000_000_000_000L).put("max_concurrent", 100_000));
            String key = new JsonObject(post(base + "/admin/v1/tenants/" + tenant + "/keys", ADMIN,
                    new JsonObject().put("name", "bench"))).getString("key");
            Thread.sleep(1500);

            String body = new JsonObject().put("model", "bench").put("input", "a good day").encode();
            Path viaGateway = lua(dir, "gateway.lua", body, key, false);
            Path viaGatewayPaced = lua(dir, "gateway-paced.lua", body, key, true);
            String workerBody = new JsonObject().put("inputs", new io.vertx.core.json.JsonArray().add("a good day")).encode();
            Path direct = lua(dir, "direct.lua", workerBody, null, false);
            Path directPaced = lua(dir, "direct-paced.lua", workerBody, null, true);

            // Each system is measured right after its own warm-up: a JVM left idle while nginx is measured drops the
            // compilations still queued (stale tasks), and then compiled during its own measurement.
            WrkLoad.Result nginxMax = WrkLoad.run("http://127.0.0.1:" + proxy + "/v1/classify", direct, 2, 64, seconds);
            Floor floor = floor(dir, upstream, direct, directPaced, seconds);
            JitWarmup.until(gateway.pid(), 5, 90, () -> WrkLoad.run(base + "/v1/classifications", viaGateway, 2, 64, 5));
            WrkLoad.Result gatewayMax = WrkLoad.run(base + "/v1/classifications", viaGateway, 2, 64, seconds);
            WrkLoad.Result upstreamPaced = WrkLoad.run("http://127.0.0.1:" + upstream + "/v1/classify", directPaced, 1, 10,
                    seconds);
            WrkLoad.Result nginxPaced = WrkLoad.run("http://127.0.0.1:" + proxy + "/v1/classify", directPaced, 1, 10, seconds);
            WrkLoad.run(base + "/v1/classifications", viaGatewayPaced, 1, 10, 5); // back to the paced load's code paths
            WrkLoad.Result gatewayPaced = WrkLoad.run(base + "/v1/classifications", viaGatewayPaced, 1, 10, seconds);

            System.out.println();
            System.out.println("| gateway overhead (wrk, " + seconds + " s per run) | value |");
            System.out.println("|---|---|");
            System.out.printf(Locale.ROOT, "| nginx proxy throughput, 64 connections | %.0f req/s |%n", nginxMax.rps());
            System.out.printf(Locale.ROOT, "| gateway throughput, 64 connections | %.0f req/s |%n", gatewayMax.rps());
            System.out.printf(Locale.ROOT, "| gateway / nginx throughput | %.2f× |%n", gatewayMax.rps() / nginxMax.rps());
            System.out.printf(Locale.ROOT, "| Vert.x floor (a bare proxy: no checks, ledger or metrics), 64 connections | %.0f req/s"
                    + " (%.2f× nginx) |%n", floor.max().rps(), floor.max().rps() / nginxMax.rps());
            System.out.printf(Locale.ROOT, "| gateway / Vert.x floor throughput | %.2f× |%n", gatewayMax.rps() / floor.max().rps());
            System.out.printf(Locale.ROOT, "| paced rate (upstream / nginx / gateway) | %.0f / %.0f / %.0f req/s |%n",
                    upstreamPaced.rps(), nginxPaced.rps(), gatewayPaced.rps());
            System.out.printf(Locale.ROOT, "| p50 upstream / nginx / gateway | %.2f / %.2f / %.2f ms |%n",
                    upstreamPaced.p50ms(), nginxPaced.p50ms(), gatewayPaced.p50ms());
            System.out.printf(Locale.ROOT, "| p99 upstream / nginx / gateway | %.2f / %.2f / %.2f ms |%n",
                    upstreamPaced.p99ms(), nginxPaced.p99ms(), gatewayPaced.p99ms());
            System.out.printf(Locale.ROOT, "| gateway added p50 / p99 over the upstream | %.2f / %.2f ms |%n",
                    gatewayPaced.p50ms() - upstreamPaced.p50ms(), gatewayPaced.p99ms() - upstreamPaced.p99ms());
            System.out.printf(Locale.ROOT, "| nginx added p50 / p99 over the upstream | %.2f / %.2f ms |%n",
                    nginxPaced.p50ms() - upstreamPaced.p50ms(), nginxPaced.p99ms() - upstreamPaced.p99ms());
            System.out.printf(Locale.ROOT, "| Vert.x floor added p50 / p99 over the upstream | %.2f / %.2f ms |%n",
                    floor.paced().p50ms() - upstreamPaced.p50ms(), floor.paced().p99ms() - upstreamPaced.p99ms());
            if (processes > 1) {
                scaling(dir, url, gateway, base, viaGateway, processes, seconds, more);
            }
        } finally {
            if (gateway != null) {
                gateway.destroy();
                gateway.waitFor(30, TimeUnit.SECONDS);
            }
            for (Process p : more) {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            if (nginx != null) {
                nginx.destroy();
                nginx.waitFor(10, TimeUnit.SECONDS);
            }
            vertx.close().await(10, TimeUnit.SECONDS);
            database.close();
        }
    }

    /** The Vert.x floor's figures: throughput at 64 connections and latency at the paced rate. */
    private record Floor(WrkLoad.Result max, WrkLoad.Result paced) {
    }

    /**
     * Runs {@link FloorProxy} as its own process in front of the upstream, warms it until its compilers are quiet, measures
     * it as the gateway is measured, and stops it before the gateway's turn.
     */
    private static Floor floor(Path dir, int upstream, Path direct, Path directPaced, int seconds) throws Exception {
        int port = freePort();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), FloorProxy.class.getName(), Integer.toString(port), Integer.toString(upstream))
                .redirectErrorStream(true).redirectOutput(dir.resolve("floor.log").toFile()).start();
        try {
            awaitPort(port);
            String url = "http://127.0.0.1:" + port + "/v1/classify";
            JitWarmup.until(p.pid(), 5, 90, () -> WrkLoad.run(url, direct, 2, 64, 5));
            WrkLoad.Result max = WrkLoad.run(url, direct, 2, 64, seconds);
            WrkLoad.run(url, directPaced, 1, 10, 5);
            return new Floor(max, WrkLoad.run(url, directPaced, 1, 10, seconds));
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Starts {@code processes - 1} more gateways on the database (into {@code more}, which the caller stops), then runs
     * wrk against 1, 2, … of them at once (64 connections shared) and prints the total and per-process throughput. Each
     * process is warmed alone until its compilers are quiet (as the gateway above: a process still compiling measures its
     * compiler, which on this VM takes 35-60 s of load), and the processes of each step are loaded together for 5 s
     * before it is measured (the code paths of several replicas on one budget: lease grants and give-backs).
     */
    private static void scaling(Path dir, DatabaseUrl url, Process gateway, String base, Path script, int processes, int seconds,
            List<Process> more) throws Exception {
        List<String> urls = new ArrayList<>(List.of(base + "/v1/classifications"));
        List<Process> gateways = new ArrayList<>(List.of(gateway));
        for (int i = 1; i < processes; i++) {
            int port = freePort();
            Process p = startGateway(dir, url, port);
            more.add(p);
            gateways.add(p);
            urls.add("http://127.0.0.1:" + port + "/v1/classifications");
        }
        for (int i = 0; i < processes; i++) {
            String target = urls.get(i);
            JitWarmup.until(gateways.get(i).pid(), 5, 90, () -> WrkLoad.run(target, script, 2, 64, 5));
        }
        System.out.println();
        System.out.println("| gateway processes on one PostgreSQL (wrk, 64 connections shared, " + seconds + " s) | total req/s"
                + " | per process |");
        System.out.println("|---|---|---|");
        for (int n = 1; n <= processes; n++) {
            together(urls.subList(0, n), script, 64 / n, 5);
            double total = together(urls.subList(0, n), script, 64 / n, seconds);
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f |%n", n, total, total / n);
        }
    }

    /** Runs wrk against every one of {@code targets} at once, {@code connections} each; the total throughput. */
    private static double together(List<String> targets, Path script, int connections, int seconds) throws Exception {
        List<java.util.concurrent.CompletableFuture<WrkLoad.Result>> runs = new ArrayList<>();
        for (String target : targets) {
            runs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return WrkLoad.run(target, script, 1, connections, seconds);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        double total = 0;
        for (var r : runs) {
            total += r.get().rps();
        }
        return total;
    }

    private static Process startNginx(Path dir, int upstream, int proxy) throws Exception {
        Files.createDirectories(dir.resolve("nginx/logs"));
        Path conf = dir.resolve("nginx/nginx.conf");
        Files.writeString(conf, """
                daemon off;
                worker_processes 1;
                error_log %1$s/nginx/logs/error.log warn;
                pid %1$s/nginx/nginx.pid;
                events { worker_connections 4096; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/nginx/body;
                  proxy_temp_path %1$s/nginx/proxy;
                  upstream worker { server 127.0.0.1:%2$d; keepalive 64; }
                  server {
                    listen 127.0.0.1:%2$d;
                    location / { default_type application/json; return 200 '%4$s'; }
                  }
                  server {
                    listen 127.0.0.1:%3$d;
                    location / {
                      proxy_pass http://worker;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                    }
                  }
                }
                """.formatted(dir, upstream, proxy, UPSTREAM_JSON));
        Process p = new ProcessBuilder("nginx", "-p", dir.resolve("nginx").toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx/logs/out.log").toFile()).start();
        awaitPort(proxy);
        awaitPort(upstream);
        return p;
    }

    private static Process startGateway(Path dir, DatabaseUrl url, int port) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        String extra = System.getenv("LMAAS_GATEWAY_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.lmaas.deploy.Main", "gateway",
                "--host=127.0.0.1", "--port=" + port, "--pool-size=8"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("gateway-" + port + ".log").toFile());
        // Credentials in the environment, never on the command line.
        pb.environment().put("LMAAS_DATABASE_URL", url.withCredentials());
        pb.environment().put(WorkerToken.ENV, WorkerToken.generate()); // the nginx stand-in for the worker ignores it
        pb.environment().put("LMAAS_ADMIN_TOKEN", ADMIN);
        pb.environment().put("LMAAS_KEY_HASH_SECRET", "bench-key-hash-secret-0123456789abcdef");
        Process p = pb.start();
        awaitPort(port);
        return p;
    }

    private static Path lua(Path dir, String name, String body, String key, boolean paced) throws IOException {
        return WrkLoad.script(dir, name, List.of(body), key == null ? Map.of() : Map.of("Authorization", "Bearer " + key), paced);
    }

    private static String post(String url, String bearer, JsonObject body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body.encode())), bearer);
    }

    private static String put(String url, String bearer, JsonObject body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofString(body.encode())), bearer);
    }

    private static String send(HttpRequest.Builder b, String bearer) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(b.header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nothing listens on port " + port);
    }
}
