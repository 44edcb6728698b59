package io.lmaas.gateway.http;

import io.lmaas.core.config.Settings;
import java.time.Duration;

/**
 * Bounds on what a client may hold open: the time from connecting (or from the previous answer on a kept-alive
 * connection) to a request's complete headers; the time to send a whole JSON body, and a whole upload; how long
 * a connection may sit with no bytes either way; and the free space the artifact store must keep, below which
 * uploads are refused with {@code 507}.
 */
public record RequestGuards(Duration headerTimeout, Duration bodyTimeout, Duration uploadTimeout, Duration idleTimeout,
        long minFreeBytes) {
    public static final RequestGuards DEFAULT = new RequestGuards(Duration.ofSeconds(15), Duration.ofSeconds(60),
            Duration.ofMinutes(15), Duration.ofMinutes(5), 1024L * 1024 * 1024);

    /** {@code --min-free-mb}: the free space the artifact store keeps, below which uploads are refused (default 1 GiB). */
    public static long minFreeBytes(Settings s) {
        return s.integer("min-free-mb", (int) (DEFAULT.minFreeBytes() >> 20), 0, 1 << 24) * 1024L * 1024L;
    }

    /** These bounds with another free-space floor for the artifact store ({@code --min-free-mb}). */
    public RequestGuards withMinFreeBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("the free-space floor cannot be negative");
        }
        return new RequestGuards(headerTimeout, bodyTimeout, uploadTimeout, idleTimeout, bytes);
    }
}
