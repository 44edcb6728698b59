package io.lmaas.core.logging;

import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One structured line per finished request on the {@code io.lmaas.requests} logger: the message is
 * human-readable ({@code POST /v1/classify 200 1.23 ms}), the fields are SLF4J key-value pairs
 * ({@code request_id}, {@code method}, {@code path}, {@code status}, {@code duration_ms} and the caller's own),
 * which logback prints as {@code key=value} in the text format and as a {@code kvpList} in the JSON format
 * ({@code LMAAS_LOG_FORMAT=JSON}). Successes are INFO, server errors WARN; the logger's level
 * ({@code LMAAS_REQUEST_LOG}, default WARN) decides what is written.
 */
public final class RequestLog {
    public static final String LOGGER = "io.lmaas.requests";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private RequestLog() {
    }

    public static void finished(String requestId, String method, String path, int status, long nanos, Map<String, ?> fields) {
        Level level = status >= 500 ? Level.WARN : Level.INFO;
        if (!LOG.isEnabledForLevel(level)) {
            return;
        }
        double ms = nanos / 1e6;
        LoggingEventBuilder event = LOG.atLevel(level)
                .addKeyValue("request_id", requestId)
                .addKeyValue("method", method)
                .addKeyValue("path", path)
                .addKeyValue("status", status)
                .addKeyValue("duration_ms", Math.round(ms * 100) / 100.0);
        fields.forEach((k, v) -> {
            if (v != null) {
                event.addKeyValue(k, v);
            }
        });
        event.log(String.format(Locale.ROOT, "%s %s %d %.2f ms", method, path, status, ms));
    }
}
