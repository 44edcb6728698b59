package io.lmaas.scheduler.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Stopping a worker never blocks the reconcile that asks for it: SIGTERM at once, SIGKILL later if it is still there. */
class StopWithoutWaitingTest {

    @Test
    void aWorkerThatIgnoresSigtermIsKilledAfterTheGraceWithoutTheCallerWaiting() throws Exception {
        Replica r = new Replica("dep", 0, Path.of("unused.port"));
        // A process that ignores SIGTERM: only SIGKILL ends it.
        r.process = new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 60").start();
        Thread.sleep(200); // let the shell install its trap
        long t = System.nanoTime();
        LocalBackend.stop(r, Duration.ofMillis(800));
        long returnedAfterMs = (System.nanoTime() - t) / 1_000_000;
        assertThat(returnedAfterMs).as("stop returned after, ms").isLessThan(200);
        assertThat(r.process.isAlive()).as("still draining right after SIGTERM").isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !r.process.isAlive());
        assertThat((System.nanoTime() - t) / 1_000_000).as("killed after the grace, ms").isGreaterThanOrEqualTo(700);
    }

    @Test
    void aWorkerThatDrainsIsNotKilled() throws Exception {
        Replica r = new Replica("dep", 0, Path.of("unused.port"));
        r.process = new ProcessBuilder("sleep", "60").start();
        LocalBackend.stop(r, Duration.ofSeconds(30));
        assertThat(r.process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(r.process.exitValue()).as("ended by SIGTERM (128 + 15)").isEqualTo(143);
    }
}
