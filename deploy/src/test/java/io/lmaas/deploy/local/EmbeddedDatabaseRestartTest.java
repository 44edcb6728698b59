package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.db.ProcessLiveness;
import io.lmaas.core.testing.TempDirs;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Local mode's embedded PostgreSQL killed with SIGKILL: the platform starts it again by itself (same data, port and
 * password), answers 503 with Retry-After while it is down — never a 500 — and serves again within seconds, with what
 * was committed before the kill still there.
 */
class EmbeddedDatabaseRestartTest {

    @Test
    void aKilledEmbeddedDatabaseIsStartedAgainAndThePlatformServesWithinSeconds() throws Exception {
        Path dir = TempDirs.create("pg-restart");
        try (Platform platform = Platform.start(dir, Optional.empty(), false)) {
            String admin = platform.adminToken();
            String before = platform.createTenant("before-the-kill");
            Path pidFile = dir.resolve("postgres").resolve("postmaster.pid");
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
            assertThat(postmaster.destroyForcibly()).isTrue();
            long killed = System.nanoTime();
            // SIGKILL is delivered, not awaited, and a backend learns of its postmaster's death a moment after it: until
            // then it may still answer a query. Recovery is a 200 after the outage has been seen, once the postmaster
            // has exited (reaped or not, as the supervisor sees it).
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> !ProcessLiveness.running(pid));

            List<Integer> outage = new ArrayList<>();
            int answeredByTheDying = 0;
            Platform.Response r;
            while (true) {
                r = platform.send("GET", "/admin/v1/tenants/" + before, admin, null);
                boolean late = System.nanoTime() - killed > 60_000_000_000L;
                if (r.status() == 200 && outage.isEmpty() && !late) {
                    answeredByTheDying++;
                    Thread.sleep(20);
                    continue;
                }
                if (r.status() == 200 || late) {
                    break;
                }
                outage.add(r.status());
                if (r.status() == 503) {
                    assertThat(r.retryAfter()).as("a 503 says when to retry").isNotNull();
                }
                Thread.sleep(100);
            }
            double seconds = (System.nanoTime() - killed) / 1e9;
            assertThat(r.status()).as("serving again after %.1f s; answers meanwhile: %s", seconds, outage).isEqualTo(200);
            assertThat(outage).as("while the database was down").isNotEmpty().allSatisfy(s -> assertThat(s).isEqualTo(503));
            assertThat(seconds).as("recovery time").isLessThan(30);
            System.out.printf("embedded PostgreSQL killed: serving again after %.1f s (%d answers of 503 meanwhile, %d by the"
                    + " dying server before them)%n", seconds, outage.size(), answeredByTheDying);
            // Writes work again, and the tenant committed before the kill is there.
            String after = platform.createTenant("after-the-restart");
            assertThat(platform.send("GET", "/admin/v1/tenants/" + after, admin, null).status()).isEqualTo(200);
            assertThat(platform.send("GET", "/admin/v1/tenants/" + before, admin, null).json().getString("name"))
                    .isEqualTo("before-the-kill");
            long restarted = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            assertThat(restarted).isNotEqualTo(pid);
        } finally {
            TempDirs.delete(dir);
        }
    }
}
