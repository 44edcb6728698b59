package io.lmaas.core.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded server requires its generated password, keeps it (mode 600), and upgrades a trusting data directory. */
class EmbeddedDatabaseTest {

    @Test
    void refusesConnectionsWithoutThePasswordAndKeepsItOnRestart(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("pg");
        String password;
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data)) {
            DatabaseUrl url = db.url();
            password = url.password();
            assertThat(password).hasSizeGreaterThanOrEqualTo(16);
            assertRefused(url, null);
            assertRefused(url, "");
            assertRefused(url, password + "x");
            execute(url, "CREATE TABLE kept (id int)");
        }
        Path file = EmbeddedDatabase.passwordFile(data);
        assertThat(Files.readString(file).trim()).isEqualTo(password);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readAllLines(data.resolve("pg_hba.conf")).stream().filter(l -> !l.isBlank() && !l.startsWith("#")))
                .isNotEmpty().allSatisfy(l -> assertThat(l).endsWith("scram-sha-256"));

        try (EmbeddedDatabase again = EmbeddedDatabase.start(data)) {
            assertThat(again.url().password()).isEqualTo(password);
            execute(again.url(), "INSERT INTO kept VALUES (1)");
            assertRefused(again.url(), null);
        }
    }

    @Test
    void upgradesADataDirectoryThatTrustedEveryone(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("pg");
        // As the earlier version left it: zonky's initdb (-A trust), no password file.
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start()) {
            DatabaseUrl trusting = new DatabaseUrl("127.0.0.1", old.getPort(), "postgres", "postgres", "");
            execute(trusting, "CREATE TABLE kept (id int)");
        }
        assertThat(EmbeddedDatabase.passwordFile(data)).doesNotExist();

        try (EmbeddedDatabase db = EmbeddedDatabase.start(data)) {
            assertThat(EmbeddedDatabase.passwordFile(data)).exists();
            assertRefused(db.url(), null);
            execute(db.url(), "INSERT INTO kept VALUES (1)");
        }
    }

    private static void assertRefused(DatabaseUrl url, String password) {
        Properties props = new Properties();
        props.setProperty("user", url.user());
        if (password != null) {
            props.setProperty("password", password);
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url.jdbcUrl(), props).close())
                .as("connecting with password %s", password == null ? "none" : "'" + password + "'")
                .isInstanceOf(SQLException.class).hasMessageContaining("password");
    }

    @Test
    void runsAsADatabaseNotATestFixtureWithFsyncAndSynchronousCommitOn(@TempDir Path tmp) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(tmp.resolve("pg"))) {
            assertThat(show(db.url(), "fsync")).isEqualTo("on");
            assertThat(show(db.url(), "synchronous_commit")).isEqualTo("on");
            assertThat(show(db.url(), "full_page_writes")).isEqualTo("on");
        }
        try (EmbeddedDatabase fixture = EmbeddedDatabase.start(tmp.resolve("fixture"), false)) {
            assertThat(show(fixture.url(), "fsync")).isEqualTo("off");
            assertThat(show(fixture.url(), "synchronous_commit")).isEqualTo("off");
        }
    }

    private static String show(DatabaseUrl url, String setting) throws SQLException {
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
                Statement st = c.createStatement(); java.sql.ResultSet r = st.executeQuery("SHOW " + setting)) {
            r.next();
            return r.getString(1);
        }
    }

    private static void execute(DatabaseUrl url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
