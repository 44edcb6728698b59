package io.lmaas.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Typed, validated reads from a flat string map (flags, environment, files). Every module builds its
 * immutable config record from one of these; only {@code main} touches {@code System.getenv()}.
 */
public final class Settings {
    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static Settings of(Map<String, String> values) {
        return new Settings(values);
    }

    public Optional<String> optional(String key) {
        String v = values.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public String string(String key, String defaultValue) {
        return optional(key).orElse(defaultValue);
    }

    public String required(String key) {
        return optional(key).orElseThrow(() -> new ConfigException("missing required setting '" + key + "'"));
    }

    public int integer(String key, int defaultValue, int min, int max) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        int v;
        try {
            v = Integer.parseInt(raw.get());
        } catch (NumberFormatException e) {
            throw new ConfigException("setting '" + key + "' must be an integer, got '" + raw.get() + "'");
        }
        if (v < min || v > max) {
            throw new ConfigException("setting '" + key + "' must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    public boolean bool(String key, boolean defaultValue) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        return switch (raw.get().toLowerCase()) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new ConfigException("setting '" + key + "' must be true or false, got '" + raw.get() + "'");
        };
    }

    public Duration millis(String key, long defaultMillis) {
        return Duration.ofMillis(integer(key, (int) defaultMillis, 0, Integer.MAX_VALUE));
    }

    public Path path(String key, String defaultValue) {
        return Path.of(string(key, defaultValue)).toAbsolutePath().normalize();
    }
}
