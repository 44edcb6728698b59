package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.testing.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmaas up --database-url ...}: the platform uses the given PostgreSQL and starts none of its own. */
class ExternalDatabaseTest {

    @Test
    void runsOnTheGivenDatabase(@TempDir Path dataDir) throws Exception {
        DatabaseUrl external = TestDatabases.fresh();
        String url = external.withCredentials();
        try (Platform platform = Platform.start(dataDir, Optional.of(url), false)) {
            assertThat(platform.send("GET", "/health/live", null, null).status()).isEqualTo(200);
            Platform.Response ready = platform.send("GET", "/health/ready", null, null);
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().getString("status")).isEqualTo("ready");
            String tenant = platform.createTenant("external-db");
            assertThat(platform.send("GET", "/admin/v1/tenants/" + tenant, platform.adminToken(), null).status()).isEqualTo(200);
            assertThat(platform.send("GET", "/console/", null, null).body()).contains("LMaaS");
            assertThat(platform.send("GET", "/console", null, null).status()).isEqualTo(302);
            Platform.Response unknown = platform.send("GET", "/nowhere", null, null);
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.json().getJsonObject("error").getString("code")).isEqualTo("not_found");
        }
        assertThat(Files.exists(dataDir.resolve("postgres"))).isFalse();
        try (var c = java.sql.DriverManager.getConnection(external.jdbcUrl(), external.user(), external.password());
                var rs = c.createStatement().executeQuery("SELECT name FROM tenants")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("external-db");
        }
    }
}
