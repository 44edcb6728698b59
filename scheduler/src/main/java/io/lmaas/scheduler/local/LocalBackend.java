package io.lmaas.scheduler.local;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.crypto.ModelKeys;
import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.core.deployments.DesiredDeployment;
import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.scheduler.backend.ServingBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each replica of each deployment as a worker process of this same distribution on this machine.
 * Each reconcile: start what is missing (respecting restart backoff), find the port each started worker
 * bound, probe its health, stop what is no longer desired; never waits for a worker to become ready, nor for one it
 * stops to exit (SIGTERM now, SIGKILL later if it is still there). A process that exits triggers a reconcile at once.
 */
public final class LocalBackend implements ServingBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);
    private static final int MAX_FAILED_PROBES = 3;

    private final Vertx vertx;
    private final LocalBackendConfig config;
    private final ModelKeys modelKeys;
    private final Clock clock;
    private final HttpClient http;
    private final Map<String, Replica> replicas = new LinkedHashMap<>();
    private volatile Runnable listener = () -> { };
    private volatile boolean closed;

    public LocalBackend(Vertx vertx, LocalBackendConfig config, Clock clock) {
        this(vertx, config, clock, ModelKeys.NONE);
    }

    /** {@code modelKeys}: the wrapped data key of a tenant's sealed model, handed to the worker that serves it. */
    public LocalBackend(Vertx vertx, LocalBackendConfig config, Clock clock, ModelKeys modelKeys) {
        this.modelKeys = modelKeys;
        this.vertx = vertx;
        this.config = config;
        this.clock = clock;
        // HTTP/1.1: the JDK client would otherwise try an h2c upgrade on every probe.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.healthTimeout()).build();
    }

    @Override
    public void onChange(Runnable listener) {
        this.listener = listener;
    }

    @Override
    public Future<List<ObservedEndpoint>> reconcile(List<DesiredDeployment> desired) {
        return vertx.executeBlocking(() -> reconcileNow(desired));
    }

    synchronized List<ObservedEndpoint> reconcileNow(List<DesiredDeployment> desired) throws IOException {
        if (closed) {
            return List.of();
        }
        Files.createDirectories(config.runDirectory());
        Files.createDirectories(config.logDirectory());
        Set<String> wanted = new HashSet<>();
        for (DesiredDeployment d : desired) {
            Path modelDir = ArtifactStore.path(d.artifactUri());
            for (int i = 0; i < d.replicas(); i++) {
                String key = Replica.key(d.id(), i);
                wanted.add(key);
                int index = i;
                Replica r = replicas.computeIfAbsent(key, k -> new Replica(d.id(), index,
                        config.runDirectory().resolve(d.id() + "-" + index + ".port")));
                if (r.modelDir != null && !r.modelDir.equals(modelDir) && r.alive()) {
                    LOG.info("Replica({}) moves to {}: restarting", key, modelDir);
                    r.stopReason = "restarted for " + modelDir;
                    stop(r);
                }
                r.modelDir = modelDir;
                step(r, d.modelId());
            }
        }
        for (Iterator<Map.Entry<String, Replica>> it = replicas.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Replica> e = it.next();
            if (!wanted.contains(e.getKey())) {
                LOG.info("Replica({}) no longer desired: stopping", e.getKey());
                stop(e.getValue());
                it.remove();
            }
        }
        List<ObservedEndpoint> observed = new ArrayList<>();
        replicas.values().forEach(r -> observed.add(r.observed()));
        return observed;
    }

    /** Moves one replica one step towards running and ready. */
    private void step(Replica r, String modelId) throws IOException {
        String key = Replica.key(r.deploymentId, r.index);
        if (r.process != null && !r.process.isAlive()) {
            int exit = r.process.exitValue();
            r.consecutiveFailures++;
            r.restarts++;
            r.process = null;
            r.url = null;
            r.state = EndpointState.FAILED;
            r.message = r.stopReason != null ? r.stopReason : "worker exited with code " + exit;
            r.stopReason = null;
            r.notBefore = clock.instant().plus(Backoff.after(r.consecutiveFailures, config.maxBackoff()));
            LOG.warn("Replica({}) {}; restart #{} not before {}", key, r.message, r.restarts, r.notBefore);
        }
        if (r.process == null) {
            if (clock.instant().isBefore(r.notBefore)) {
                return;
            }
            start(r, modelId);
            return;
        }
        if (r.url == null) {
            r.url = readPort(r.portFile).map(p -> "http://127.0.0.1:" + p).orElse(null);
            if (r.url == null) {
                return;
            }
        }
        probe(r, key);
    }

    private void start(Replica r, String modelId) throws IOException {
        Files.deleteIfExists(r.portFile);
        List<String> command = WorkerCommand.serve(config, modelId, r.modelDir, r.portFile, ProcessHandle.current().pid());
        Path log = config.logDirectory().resolve(r.deploymentId + "-" + r.index + ".log");
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(config.environment());
        // A tenant's model is sealed: its worker gets the tenant's data key, wrapped (it holds the master key to open it).
        try {
            modelKeys.of(r.modelDir).ifPresent(k -> pb.environment().put(WrappedKey.ENV, k.toJson().encode()));
        } catch (RuntimeException e) {
            LOG.warn("Replica({}): no data key for {} ({}); the worker will say it cannot read the model", Replica.key(r.deploymentId, r.index), r.modelDir,
                    e.getMessage());
        }
        r.process = pb.start();
        r.state = EndpointState.STARTING;
        r.failedProbes = 0;
        LOG.info("Replica({}/{}) started worker pid {} for {} (log {})", r.deploymentId, r.index, r.process.pid(), modelId, log);
        r.process.onExit().thenRun(() -> listener.run());
    }

    private void probe(Replica r, String key) {
        JsonObject health = health(r.url);
        String state = health == null ? null : health.getString("state");
        if ("ready".equals(state)) {
            if (r.state != EndpointState.READY) {
                LOG.info("Replica({}) ready at {}", key, r.url);
            }
            r.state = EndpointState.READY;
            r.message = null;
            r.failedProbes = 0;
            r.consecutiveFailures = 0;
        } else if ("failed".equals(state)) {
            r.stopReason = "model failed to load: " + health.getString("message", "unknown reason");
            LOG.warn("Replica({}) {}", key, r.stopReason);
            stop(r);
        } else if (health == null && r.state == EndpointState.READY && ++r.failedProbes >= MAX_FAILED_PROBES) {
            r.state = EndpointState.STARTING;
            r.message = "health probe failed " + r.failedProbes + " times";
            LOG.warn("Replica({}) {}", key, r.message);
        }
    }

    private JsonObject health(String url) {
        try {
            HttpRequest.Builder probe = HttpRequest.newBuilder(URI.create(url + "/health")).timeout(config.healthTimeout()).GET();
            String token = config.environment().get(WorkerToken.ENV);
            if (token != null) {
                probe.header("Authorization", WorkerToken.header(token)); // the worker then says why it failed, too
            }
            HttpResponse<String> resp = http.send(probe.build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(resp.body());
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static java.util.Optional<Integer> readPort(Path portFile) {
        try {
            return java.util.Optional.of(Integer.parseInt(Files.readString(portFile, StandardCharsets.UTF_8).trim()));
        } catch (IOException | NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /** How long a stopped worker may drain before it is killed: a little more than the drain it is told. */
    static final Duration STOP_GRACE = Duration.ofMillis(WorkerCommand.DRAIN_TIMEOUT_MS + 2000);

    /**
     * Stops the process without waiting for it: SIGTERM lets it drain its running work, and SIGKILL follows if it has not
     * exited after {@code grace}. Its exit triggers a reconcile, which sees it dead and restarts it if still desired.
     */
    static void stop(Replica r, Duration grace) {
        Process p = r.process;
        if (p == null) {
            return;
        }
        p.destroy();
        p.onExit().completeOnTimeout(p, grace.toMillis(), TimeUnit.MILLISECONDS).thenAccept(x -> {
            if (p.isAlive()) {
                LOG.warn("worker pid {} did not stop within {} ms of SIGTERM: killed", p.pid(), grace.toMillis());
                p.destroyForcibly();
            }
        });
    }

    private static void stop(Replica r) {
        stop(r, STOP_GRACE);
    }

    /** Shutdown: stops the process and waits for it (a little longer than its drain). */
    private static void stopAndWait(Replica r) {
        Process p = r.process;
        stop(r);
        if (p != null) {
            try {
                if (!p.waitFor(STOP_GRACE.toMillis() + 5000, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        replicas.values().forEach(r -> {
            Process p = r.process;
            if (p != null) {
                p.destroy();
            }
        });
        replicas.values().forEach(LocalBackend::stopAndWait);
        replicas.clear();
    }
}
