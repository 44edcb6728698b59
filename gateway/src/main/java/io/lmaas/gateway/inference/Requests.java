package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonObject;

/** Typed reads of inference request fields; every failure is a 400 naming the parameter. */
final class Requests {
    private Requests() {
    }

    /** UTF-8 length of a string without encoding it. */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    static String model(JsonObject body) {
        Object v = body.getValue("model");
        if (v == null) {
            throw ApiException.missingParam("model");
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw ApiException.invalidParam("model", "'model' must be a non-empty string");
        }
        return io.lmaas.gateway.http.Params.text("model", s);
    }

    static int integer(JsonObject body, String name, int defaultValue, int min, int max) {
        Object v = body.getValue(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= min
                && n.doubleValue() <= max) {
            return n.intValue();
        }
        throw ApiException.invalidParam(name, "'" + name + "' must be an integer from " + min + " to " + max);
    }

    static double number(JsonObject body, String name, double defaultValue, double min, double max) {
        Object v = body.getValue(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
            return n.doubleValue();
        }
        throw ApiException.invalidParam(name, "'" + name + "' must be a number from " + min + " to " + max);
    }

    static long longValue(JsonObject body, String name) {
        Object v = body.getValue(name);
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) <= 9.007199254740992E15) {
            return n.longValue();
        }
        throw ApiException.invalidParam(name, "'" + name + "' must be an integer");
    }
}
