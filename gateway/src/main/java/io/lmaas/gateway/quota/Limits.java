package io.lmaas.gateway.quota;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's or a key's limits; null = unlimited. Wire form
 * {@code {"rpm","tpm","tokens_per_day","tokens_per_month","max_concurrent"}} (pure).
 */
public record Limits(Long rpm, Long tpm, Long tokensPerDay, Long tokensPerMonth, Long maxConcurrent) {
    public static final Limits UNLIMITED = new Limits(null, null, null, null, null);
    static final List<String> FIELDS = List.of("rpm", "tpm", "tokens_per_day", "tokens_per_month", "max_concurrent");

    /** One budget a limit defines: what it counts, over which window, up to how much. */
    public record Spec(Dimension dimension, Period period, long limit, String field) {
    }

    public List<Spec> specs() {
        List<Spec> out = new ArrayList<>(5);
        if (rpm != null) {
            out.add(new Spec(Dimension.REQUESTS, Period.MINUTE, rpm, "rpm"));
        }
        if (tpm != null) {
            out.add(new Spec(Dimension.TOKENS, Period.MINUTE, tpm, "tpm"));
        }
        if (tokensPerDay != null) {
            out.add(new Spec(Dimension.TOKENS, Period.DAY, tokensPerDay, "tokens_per_day"));
        }
        if (tokensPerMonth != null) {
            out.add(new Spec(Dimension.TOKENS, Period.MONTH, tokensPerMonth, "tokens_per_month"));
        }
        if (maxConcurrent != null) {
            out.add(new Spec(Dimension.CONCURRENCY, Period.NONE, maxConcurrent, "max_concurrent"));
        }
        return out;
    }

    /** Only the daily and monthly token budgets of these limits. */
    public Limits budgetsOnly() {
        return new Limits(null, null, tokensPerDay, tokensPerMonth, null);
    }

    public boolean unlimited() {
        return specs().isEmpty();
    }

    /** The limit named by its wire field, or null. */
    public Long get(String field) {
        return switch (field) {
            case "rpm" -> rpm;
            case "tpm" -> tpm;
            case "tokens_per_day" -> tokensPerDay;
            case "tokens_per_month" -> tokensPerMonth;
            case "max_concurrent" -> maxConcurrent;
            default -> throw new IllegalArgumentException(field);
        };
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        FIELDS.forEach(f -> o.put(f, get(f)));
        return o;
    }

    /** Parses the wire form; every field optional, each null or a non-negative integer. {@code param} prefixes errors. */
    public static Limits parse(JsonObject json, String param) {
        if (json == null) {
            return UNLIMITED;
        }
        for (String name : json.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw ApiException.invalidParam(param + "." + name, "unknown limit '" + name + "'; known: " + FIELDS);
            }
        }
        Long[] v = new Long[FIELDS.size()];
        for (int i = 0; i < FIELDS.size(); i++) {
            Object raw = json.getValue(FIELDS.get(i));
            if (raw == null) {
                continue;
            }
            if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0
                    || n.doubleValue() > 1e15) {
                throw ApiException.invalidParam(param + "." + FIELDS.get(i),
                        "'" + FIELDS.get(i) + "' must be null or a non-negative integer");
            }
            v[i] = n.longValue();
        }
        return new Limits(v[0], v[1], v[2], v[3], v[4]);
    }

    /** Reads the stored JSON form (trusted). */
    public static Limits fromStored(JsonObject json) {
        return json == null ? UNLIMITED : new Limits(json.getLong("rpm"), json.getLong("tpm"), json.getLong("tokens_per_day"),
                json.getLong("tokens_per_month"), json.getLong("max_concurrent"));
    }
}
