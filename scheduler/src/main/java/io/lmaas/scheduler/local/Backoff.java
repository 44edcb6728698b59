package io.lmaas.scheduler.local;

import java.time.Duration;

/** Restart delay after consecutive failures: 0 for the first start, then 1 s, 2 s, 4 s ... up to a cap (pure). */
public final class Backoff {
    private Backoff() {
    }

    public static Duration after(int consecutiveFailures, Duration max) {
        if (consecutiveFailures <= 0) {
            return Duration.ZERO;
        }
        long seconds = 1L << Math.min(consecutiveFailures - 1, 20);
        Duration d = Duration.ofSeconds(seconds);
        return d.compareTo(max) > 0 ? max : d;
    }
}
