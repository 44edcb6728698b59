package io.lmaas.core.testing;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.ids.Ids;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Real PostgreSQL for tests: the server named by {@code LMAAS_TEST_DATABASE_URL} when set, otherwise one
 * embedded server per test JVM. Each caller gets a database of its own, migrated, so tests never share
 * state.
 */
public final class TestDatabases {
    private static DatabaseUrl server;

    private TestDatabases() {
    }

    /** A new, migrated database on the test server. */
    public static synchronized DatabaseUrl fresh() {
        DatabaseUrl admin = server();
        String name = "t_" + Ids.random(10);
        try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database: " + e.getMessage(), e);
        }
        DatabaseUrl url = new DatabaseUrl(admin.host(), admin.port(), name, admin.user(), admin.password());
        Migrations.migrate(url);
        return url;
    }

    private static DatabaseUrl server() {
        if (server == null) {
            String explicit = System.getenv("LMAAS_TEST_DATABASE_URL");
            if (explicit != null && !explicit.isBlank()) {
                server = DatabaseUrl.parse(explicit);
            } else {
                EmbeddedDatabase[] db = new EmbeddedDatabase[1];
                Path dir = TempDirs.create("lmaas-test-pg-", () -> {
                    if (db[0] != null) {
                        db[0].close();
                    }
                });
                // A fixture: no fsync (the durable settings are lmaas up's, and tested there).
                db[0] = EmbeddedDatabase.start(dir.resolve("data"), false);
                server = db[0].url();
            }
        }
        return server;
    }
}
