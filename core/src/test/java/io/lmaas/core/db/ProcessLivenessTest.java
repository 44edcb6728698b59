package io.lmaas.core.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A process that has exited but is not reaped yet (a zombie) is not running, whatever the JDK says. */
class ProcessLivenessTest {

    @Test
    void aZombieIsNotRunningThoughTheJdkSaysItIsAlive() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc");
        // The shell starts a short sleep in the background, then becomes a long one that never reaps it.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0.1 & echo $!; exec sleep 30").start();
        try {
            long child;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
                child = Long.parseLong(out.readLine().trim());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!ProcessLiveness.zombie(child) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive)).as("the JDK's view of a zombie").contains(true);
            assertThat(ProcessLiveness.running(child)).isFalse();
            assertThat(ProcessLiveness.running(parent.pid())).isTrue();
            assertThat(ProcessLiveness.zombie(parent.pid())).isFalse();
        } finally {
            parent.destroyForcibly().waitFor();
        }
        assertThat(ProcessLiveness.running(parent.pid())).as("exited and reaped").isFalse();
    }

    @Test
    void readsTheStateAfterACommandNameWithSpacesAndParentheses() {
        assertThat(ProcessLiveness.zombie("4242 (post (gres) x) Z 1 4242 4242 0 -1")).isTrue();
        assertThat(ProcessLiveness.zombie("4242 (post (gres) x) S 1 4242 4242 0 -1")).isFalse();
        assertThat(ProcessLiveness.zombie("4242 (a) R 1")).isFalse();
        assertThatThrownBy(() -> ProcessLiveness.zombie("garbage")).isInstanceOf(IllegalArgumentException.class);
    }
}
