package io.lmaas.gateway.quota;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** The fixed UTC windows budgets reset on (pure). {@code NONE} is for gauges (concurrency) that never reset. */
public enum Period {
    MINUTE,
    DAY,
    MONTH,
    NONE;

    private static final Instant FAR_FUTURE = Instant.parse("9999-01-01T00:00:00Z");

    public Instant windowStart(Instant at) {
        return switch (this) {
            case MINUTE -> at.truncatedTo(ChronoUnit.MINUTES);
            case DAY -> at.truncatedTo(ChronoUnit.DAYS);
            case MONTH -> LocalDate.ofInstant(at, ZoneOffset.UTC).withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            case NONE -> Instant.EPOCH;
        };
    }

    public Instant windowEnd(Instant at) {
        Instant start = windowStart(at);
        return switch (this) {
            case MINUTE -> start.plus(1, ChronoUnit.MINUTES);
            case DAY -> start.plus(1, ChronoUnit.DAYS);
            case MONTH -> LocalDate.ofInstant(start, ZoneOffset.UTC).plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            case NONE -> FAR_FUTURE;
        };
    }
}
