package io.lmaas.gateway.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Validated reads of body fields and query parameters; every failure is a 400 naming the parameter. */
public final class Params {
    private Params() {
    }

    /** A required display name: 1 to 100 characters, no control characters. */
    public static String name(JsonObject body, String field) {
        Object v = body.getValue(field);
        if (v == null) {
            throw ApiException.missingParam(field);
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw ApiException.invalidParam(field, "'" + field + "' must be a non-empty string");
        }
        String name = s.strip();
        if (name.length() > 100 || name.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.invalidParam(field, "'" + field + "' must be at most 100 printable characters");
        }
        return name;
    }

    public static int queryInt(RoutingContext ctx, String name, int defaultValue, int min, int max) {
        String raw = ctx.queryParams().get(name);
        if (raw == null) {
            return defaultValue;
        }
        try {
            int v = Integer.parseInt(raw);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the error
        }
        throw ApiException.invalidParam(name, "'" + name + "' must be an integer from " + min + " to " + max);
    }

    /** A time given as unix seconds, or null when absent. */
    public static OffsetDateTime queryTime(RoutingContext ctx, String name) {
        String raw = ctx.queryParams().get(name);
        if (raw == null) {
            return null;
        }
        try {
            return OffsetDateTime.ofInstant(Instant.ofEpochSecond(Long.parseLong(raw)), ZoneOffset.UTC);
        } catch (NumberFormatException | java.time.DateTimeException e) {
            throw ApiException.invalidParam(name, "'" + name + "' must be a time in unix seconds");
        }
    }
}
