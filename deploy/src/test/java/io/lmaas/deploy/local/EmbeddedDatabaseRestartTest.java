package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
            // SIGKILL is delivered, not awaited: until the postmaster is gone (as the supervisor sees it), its backends
            // may still answer a query or two. Recovery is what comes after the database has really died.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> !postmaster.isAlive());

            List<Integer> outage = new ArrayList<>();
            Platform.Response r;
            while (true) {
                r = platform.send("GET", "/admin/v1/tenants/" + before, admin, null);
                if (r.status() == 200 || System.nanoTime() - killed > 60_000_000_000L) {
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
            assertThat(outage).as("while the database was down").allSatisfy(s -> assertThat(s).isEqualTo(503));
            assertThat(seconds).as("recovery time").isLessThan(30);
            System.out.printf("embedded PostgreSQL killed: serving again after %.1f s (%d answers of 503 meanwhile)%n",
                    seconds, outage.size());
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
