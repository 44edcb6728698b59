package io.lmaas.gateway.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Validated reads of body fields and query parameters; every failure is a 400 naming the parameter. */
public final class Params {
    public static final int MAX_TEXT = 512;
    /** Times outside 1970..9999 are refused (PostgreSQL's timestamps end in 294276, Java's much later). */
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;
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

    /** A path parameter, checked like {@link #text}. */
    public static String path(RoutingContext ctx, String name) {
        return text(name, ctx.pathParam(name));
    }

    /** A query parameter (null when absent), checked like {@link #text}. */
    public static String query(RoutingContext ctx, String name) {
        return text(name, ctx.queryParams().get(name));
    }

    /** A multipart form field (null when absent), checked like {@link #text}. */
    public static String form(RoutingContext ctx, String name) {
        return text(name, ctx.request().getFormAttribute(name));
    }

    /**
     * A short text value bound for PostgreSQL (an id, a filter, a name): at most {@value #MAX_TEXT} characters, no
     * control characters (PostgreSQL refuses U+0000 outright), no unpaired surrogates. 400 naming the parameter.
     */
    public static String text(String param, String value) {
        if (value == null) {
            return null;
        }
        if (value.length() > MAX_TEXT) {
            throw ApiException.invalidParam(param, "'" + param + "' is longer than " + MAX_TEXT + " characters");
        }
        if (!printable(value)) {
            throw ApiException.invalidParam(param, "'" + param + "' must not contain control characters or invalid Unicode");
        }
        return value;
    }

    /** No control characters and no unpaired UTF-16 surrogates. */
    public static boolean printable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c) && (i + 1 == value.length() || !Character.isLowSurrogate(value.charAt(++i)))) {
                return false;
            }
            if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
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
            long seconds = Long.parseLong(raw);
            if (seconds >= 0 && seconds <= MAX_EPOCH_SECOND) {
                return OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds), ZoneOffset.UTC);
            }
        } catch (NumberFormatException e) {
            // fall through to the error
        }
        throw ApiException.invalidParam(name, "'" + name + "' must be a time in unix seconds from 0 to " + MAX_EPOCH_SECOND);
    }
}
