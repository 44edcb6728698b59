package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmaas up} stopped with SIGTERM stops its embedded PostgreSQL last and for good: the platform still reaches it
 * while it stops (nothing is refused for a lost connection), and no postmaster is left running — before, PostgreSQL's
 * own shutdown hook stopped it under the platform, whose supervisor then started it again, and that postmaster
 * outlived the process.
 */
class UpShutdownTest {
    @Test
    void sigtermStopsThePlatformThenItsDatabaseAndLeavesNoPostmaster(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path log = tmp.resolve("up.log");
        Process up = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "io.lmaas.deploy.Main", "up", "--data-dir=" + data, "--port=0",
                "--starters=false", "--real-models=false"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() ->
                    Files.exists(data.resolve("admin-token")) && Files.readString(log).contains("LMaaS gateway:"));
            long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postgres").resolve("postmaster.pid")).get(0).trim());
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive)).contains(true);

            up.destroy(); // SIGTERM
            assertThat(up.waitFor(90, TimeUnit.SECONDS)).as("lmaas up exits").isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(postmaster).map(p -> !p.isAlive()).orElse(true));
            assertThat(data.resolve("postgres").resolve("postmaster.pid")).as("a clean stop removes it").doesNotExist();
            String output = Files.readString(log);
            assertThat(output).doesNotContain("starting it again").doesNotContain("terminating connection due to administrator command");
            // No postmaster of this data directory runs (a restarted one would have a new pid).
            assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> String.join(" ", a)
                    .contains(data.resolve("postgres").toString())).orElse(false)).toList()).isEmpty();
        } finally {
            up.destroyForcibly();
        }
    }
}
