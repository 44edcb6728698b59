package io.lmaas.core.tasks;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * Runs an asynchronous pass every so often on a Vert.x timer, never two at once (a tick while a pass runs is skipped),
 * and logs a failed pass as a warning: the next one catches up. What the gateway's background duties share (the
 * hourly roll-up, the retention sweeper).
 */
public final class PeriodicTask implements AutoCloseable {
    private final Vertx vertx;
    private final long timer;
    private boolean busy;

    private PeriodicTask(Vertx vertx, Duration every, Supplier<Future<?>> pass, Logger log, String what) {
        this.vertx = vertx;
        this.timer = vertx.setPeriodic(every.toMillis(), id -> {
            if (busy) {
                return;
            }
            busy = true;
            pass.get().onComplete(ar -> {
                busy = false;
                if (ar.failed()) {
                    log.warn("{} failed (the next pass catches up): {}", what, ar.cause().toString());
                }
            });
        });
    }

    /** Starts {@code pass} every {@code every}; {@code what} names it in the log. */
    public static PeriodicTask start(Vertx vertx, Duration every, Supplier<Future<?>> pass, Logger log, String what) {
        return new PeriodicTask(vertx, every, pass, log, what);
    }

    @Override
    public void close() {
        vertx.cancelTimer(timer);
    }
}
