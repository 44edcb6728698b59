package io.lmaas.gateway.usage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The overview's hourly series and totals from the roll-up sums of the hours that had traffic (pure): every
 * hour of the window is present, hours without traffic as zeros; latency is the request-weighted mean.
 */
public final class OverviewSeries {
    /** One hour's sums, as the roll-ups hold them. */
    public record Hour(long requests, long errors, long promptTokens, long completionTokens, long latencyMsSum, int latencyMsMax) {
        static final Hour EMPTY = new Hour(0, 0, 0, 0, 0, 0);
    }

    private OverviewSeries() {
    }

    /** {@code {"series": [...], "totals": {...}}} for the hours {@code [start, end)} (unix seconds, whole hours). */
    public static JsonObject of(long start, long end, Map<Long, Hour> hours) {
        JsonArray points = new JsonArray();
        long requests = 0;
        long errors = 0;
        long prompt = 0;
        long completion = 0;
        long latency = 0;
        for (long t = start; t < end; t += 3600) {
            Hour h = hours.getOrDefault(t, Hour.EMPTY);
            points.add(new JsonObject().put("t", t).put("requests", h.requests()).put("errors", h.errors())
                    .put("prompt_tokens", h.promptTokens()).put("completion_tokens", h.completionTokens())
                    .put("latency_ms_avg", mean(h.latencyMsSum(), h.requests())).put("latency_ms_max", h.latencyMsMax()));
            requests += h.requests();
            errors += h.errors();
            prompt += h.promptTokens();
            completion += h.completionTokens();
            latency += h.latencyMsSum();
        }
        return new JsonObject().put("series", points).put("totals", new JsonObject().put("requests", requests).put("errors", errors)
                .put("prompt_tokens", prompt).put("completion_tokens", completion).put("latency_ms_avg", mean(latency, requests)));
    }

    private static double mean(long sum, long n) {
        return n == 0 ? 0.0 : Math.round((double) sum / n * 10) / 10.0;
    }
}
