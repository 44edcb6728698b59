package io.lmaas.scheduler.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerCommandTest {

    @Test
    void runsTheSameDistributionsWorkerServeOffline() {
        LocalBackendConfig config = new LocalBackendConfig(Path.of("/jdk/bin/java"), "/lib/*", "io.lmaas.deploy.Main",
                List.of("-Xmx512m"), Map.of(), Path.of("/run"), Path.of("/logs"), 2, Duration.ofMillis(500),
                Duration.ofSeconds(30));
        assertThat(WorkerCommand.serve(config, "starter-classifier", Path.of("/models/c/1"), Path.of("/run/d-0.port"), 77))
                .containsExactly("/jdk/bin/java", "-Xmx512m", "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true",
                        "-cp", "/lib/*", "io.lmaas.deploy.Main", "worker", "serve", "--model-dir=/models/c/1",
                        "--model-id=starter-classifier", "--adapters-root=/models", "--port=0", "--port-file=/run/d-0.port",
                        "--parent-pid=77",
                        "--threads=2", "--drain-timeout-ms=8000");
        assertThat(WorkerCommand.job(config, "batch", "batch_1", 77, true)).containsExactly("/jdk/bin/java", "-Xmx512m",
                "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-cp", "/lib/*", "io.lmaas.deploy.Main", "worker", "batch",
                "--job-id=batch_1", "--parent-pid=77", "--next-jobs-from-stdin=true");
        // A standby names no job: it reads its first one from its standard input, like an idle worker its next.
        assertThat(WorkerCommand.standby(config, "starter-classifier", 77)).containsExactly("/jdk/bin/java", "-Xmx512m",
                "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-cp", "/lib/*", "io.lmaas.deploy.Main", "worker", "batch",
                "--standby=true", "--standby-model=starter-classifier", "--parent-pid=77", "--next-jobs-from-stdin=true");
        assertThat(LocalBackendConfig.WORKER_ENVIRONMENT).containsEntry("DJL_OFFLINE", "true")
                .containsEntry("OPT_OUT_TRACKING", "true");
    }
}
