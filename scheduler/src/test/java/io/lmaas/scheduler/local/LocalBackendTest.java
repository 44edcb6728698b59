package io.lmaas.scheduler.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.deployments.DesiredDeployment;
import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local backend supervising real child processes (a scripted stand-in for the worker). */
class LocalBackendTest {
    @TempDir
    Path tmp;
    private Vertx vertx;
    private LocalBackend backend;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        LocalBackendConfig config = new LocalBackendConfig(Path.of(System.getProperty("java.home"), "bin", "java"),
                System.getProperty("java.class.path"), ScriptedWorker.class.getName(), List.of("-Xmx64m"),
                LocalBackendConfig.WORKER_ENVIRONMENT, tmp.resolve("run"), tmp.resolve("logs"), 1, Duration.ofMillis(500),
                Duration.ofSeconds(2));
        backend = new LocalBackend(vertx, config, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        backend.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private DesiredDeployment deployment(String behaviour, int replicas) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model-" + behaviour));
        Files.writeString(dir.resolve("behaviour"), behaviour);
        return new DesiredDeployment("dep-" + behaviour, "m-" + behaviour, "1", ModelTask.TEXT_CLASSIFICATION, replicas,
                ArtifactStore.uri(dir));
    }

    private List<ObservedEndpoint> reconcile(DesiredDeployment... desired) throws Exception {
        return backend.reconcile(List.of(desired)).await(20, TimeUnit.SECONDS);
    }

    @Test
    void startsEachReplicaAndRestartsOneThatDies() throws Exception {
        DesiredDeployment d = deployment("ready", 2);
        AtomicReference<List<ObservedEndpoint>> seen = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            seen.set(reconcile(d));
            return seen.get().stream().allMatch(e -> e.state() == EndpointState.READY);
        });
        assertThat(seen.get()).hasSize(2).allSatisfy(e -> {
            assertThat(e.url()).startsWith("http://127.0.0.1:");
            assertThat(e.pid()).isNotNull();
        });
        long killed = seen.get().get(0).pid();
        ProcessHandle victim = ProcessHandle.of(killed).orElseThrow();
        victim.destroyForcibly();
        victim.onExit().get(10, TimeUnit.SECONDS);

        ObservedEndpoint afterKill = reconcile(d).get(0);
        assertThat(afterKill.state()).isNotEqualTo(EndpointState.READY);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            ObservedEndpoint e = reconcile(d).get(0);
            return e.state() == EndpointState.READY && e.pid() != killed;
        });
        ObservedEndpoint back = reconcile(d).get(0);
        assertThat(back.restarts()).isEqualTo(1);
        assertThat(back.message()).isNull();
    }

    @Test
    void aModelThatFailsToLoadIsStoppedAndReportedWithItsReason() throws Exception {
        DesiredDeployment d = deployment("fail", 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            ObservedEndpoint e = reconcile(d).get(0);
            return e.state() == EndpointState.FAILED && e.restarts() >= 1;
        });
        ObservedEndpoint e = reconcile(d).get(0);
        assertThat(e.message()).isEqualTo("model failed to load: bad weights");
        assertThat(e.url()).isNull();
    }

    @Test
    void aCrashingWorkerIsRestartedWithBackoffAndReportsItsExitCode() throws Exception {
        DesiredDeployment d = deployment("exit", 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> reconcile(d).get(0).restarts() >= 2);
        ObservedEndpoint e = reconcile(d).get(0);
        assertThat(e.state()).isIn(EndpointState.FAILED, EndpointState.STARTING);
        assertThat(e.message()).isEqualTo("worker exited with code 3");
    }

    @Test
    void scalingToZeroStopsTheProcesses() throws Exception {
        DesiredDeployment d = deployment("ready", 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> reconcile(d).get(0).state() == EndpointState.READY);
        long pid = reconcile(d).get(0).pid();
        assertThat(reconcile(deployment("ready", 0))).isEmpty();
        // The reconcile does not wait for it: the process drains and exits on its own, soon after.
        await().atMost(LocalBackend.STOP_GRACE.plusSeconds(5))
                .until(() -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertThat(reconcile()).isEmpty();
    }
}
