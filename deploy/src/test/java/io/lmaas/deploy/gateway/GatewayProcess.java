package io.lmaas.deploy.gateway;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.gateway.testing.StandInWorker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real {@code lmaas gateway} process of this distribution, for tests that must kill one. */
final class GatewayProcess implements AutoCloseable {
    static final String ADMIN = "admin-token-for-replica-tests-0123456789";
    private static final Pattern LISTENING = Pattern.compile("LMaaS gateway (\\S+): http://[^:]+:(\\d+)");

    final String id;
    final Process process;
    final int port;

    private GatewayProcess(String id, Process process, int port) {
        this.id = id;
        this.process = process;
        this.port = port;
    }

    static GatewayProcess start(DatabaseUrl db, String id, String... flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "io.lmaas.deploy.Main", "gateway",
                "--host=127.0.0.1", "--port=0", "--gateway-id=" + id, "--routing-refresh-ms=100"));
        cmd.addAll(List.of(flags));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LMAAS_DATABASE_URL", db.withCredentials());
        pb.environment().put(WorkerToken.ENV, StandInWorker.TOKEN);
        pb.environment().put("LMAAS_ADMIN_TOKEN", ADMIN);
        pb.environment().put("LMAAS_KEY_HASH_SECRET", "key-hash-secret-for-replica-tests-0123");
        Process p = pb.start();
        Path log = Files.createDirectories(Path.of("target", "gateway-logs")).resolve(id + ".log");
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(line);
                    out.flush();
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(2)));
                    }
                }
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IllegalStateException("gateway " + id + " exited; see " + log));
        }, "gateway-" + id + "-output");
        reader.setDaemon(true);
        reader.start();
        return new GatewayProcess(id, p, port.get(60, TimeUnit.SECONDS));
    }

    /** SIGKILL: no shutdown hook, no lease given back, no ledger flush. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
