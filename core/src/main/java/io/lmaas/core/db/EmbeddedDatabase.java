package io.lmaas.core.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL of local mode: real PostgreSQL binaries (zonky), data kept under the data
 * directory and reused on restart. It listens on 127.0.0.1 only and requires the superuser's password, which
 * is generated on first start and kept in the data directory, readable by the owner only
 * ({@link EmbeddedCredentials}).
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final EmbeddedPostgres postgres;
    private final String password;

    private EmbeddedDatabase(EmbeddedPostgres postgres, String password) {
        this.postgres = postgres;
        this.password = password;
    }

    public static EmbeddedDatabase start(Path dataDirectory) {
        try {
            Files.createDirectories(dataDirectory);
            boolean reuse = Files.exists(dataDirectory.resolve("postgresql.conf"));
            String password = EmbeddedCredentials.password(dataDirectory);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setPgBinaryResolver(EmbeddedCredentials.Binaries.INSTANCE)
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("max_connections", "100")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setConnectConfig("password", password)
                    .setDataDirectoryCustomizer(dir -> EmbeddedCredentials.apply(dir.toPath(), password))
                    .start();
            LOG.info("embedded PostgreSQL {} on port {} (data {})", reuse ? "reused" : "initialised", pg.getPort(), dataDirectory);
            return new EmbeddedDatabase(pg, password);
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL failed to start in " + dataDirectory, e);
        }
    }

    /** The superuser's URL, password included. */
    public DatabaseUrl url() {
        return new DatabaseUrl("127.0.0.1", postgres.getPort(), "postgres", "postgres", password);
    }

    /** Where the superuser's password is kept (mode 600). */
    public static Path passwordFile(Path dataDirectory) {
        return dataDirectory.resolve(EmbeddedCredentials.PASSWORD_FILE);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
