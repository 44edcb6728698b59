package io.lmaas.deploy.local;

import io.lmaas.core.db.EmbeddedDatabase;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps local mode's embedded PostgreSQL running, as the local backend keeps workers running: every {@code interval} it
 * checks the postmaster, and starts it again (same data, port and password; PostgreSQL replays its log) when it has
 * died — killed, crashed, out of memory. The pools' new connections then find it; until then requests answer 503.
 * Its own thread: a restart takes a few seconds and never runs on an event loop.
 */
final class DatabaseSupervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseSupervisor.class);

    private final EmbeddedDatabase database;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "embedded-postgres-supervisor");
        t.setDaemon(true);
        return t;
    });
    private int restarts;
    /** The last restart's failure, until one succeeds. */
    private String lastFailure;

    private DatabaseSupervisor(EmbeddedDatabase database) {
        this.database = database;
    }

    static DatabaseSupervisor start(EmbeddedDatabase database, Duration interval) {
        DatabaseSupervisor s = new DatabaseSupervisor(database);
        s.thread.scheduleWithFixedDelay(s::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }

    private void check() {
        if (database.alive()) {
            return;
        }
        if (lastFailure == null) {
            LOG.warn("embedded PostgreSQL is not running; starting it again (restart {})", ++restarts);
        }
        try {
            database.restart();
            lastFailure = null;
        } catch (Exception e) {
            if (Thread.currentThread().isInterrupted()) {
                return; // closing
            }
            // Said once per cause, then retried quietly: a cause that lasts (an unreaped postmaster) is not logged
            // every few seconds.
            if (!e.toString().equals(lastFailure)) {
                LOG.error("embedded PostgreSQL did not start again: {}; retrying", e.toString());
            }
            lastFailure = e.toString();
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(70, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
