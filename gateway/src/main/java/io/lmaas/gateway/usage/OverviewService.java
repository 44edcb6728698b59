package io.lmaas.gateway.usage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's overview: requests, tokens, errors and latency per hour over a window, with totals and
 * the top tenants and models — all from the hourly roll-ups, so its cost does not grow with the ledger.
 * {@code tenants} null means every tenant (the platform admin); otherwise only those.
 */
public final class OverviewService {
    public static final int MAX_HOURS = 2160;

    private final Pool pool;

    public OverviewService(Pool pool) {
        this.pool = pool;
    }

    public Future<JsonObject> overview(List<String> tenants, int hours, Instant now) {
        Instant end = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        Instant start = end.minus(hours, ChronoUnit.HOURS);
        String[] filter = tenants == null ? null : tenants.toArray(new String[0]);
        Tuple args = Tuple.of(OffsetDateTime.ofInstant(start, ZoneOffset.UTC)).addArrayOfString(filter);
        Future<Map<Long, Row>> series = pool.preparedQuery("SELECT hour, sum(requests) AS requests, sum(errors) AS errors,"
                        + " sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,"
                        + " sum(latency_ms_sum) AS latency_ms_sum, max(latency_ms_max) AS latency_ms_max FROM usage_hourly"
                        + " WHERE hour >= $1 AND ($2::text[] IS NULL OR tenant_id = ANY($2)) GROUP BY hour")
                .execute(args).map(rows -> {
                    Map<Long, Row> byHour = new HashMap<>();
                    rows.forEach(r -> byHour.put(r.getOffsetDateTime("hour").toEpochSecond(), r));
                    return byHour;
                });
        Future<JsonArray> topTenants = pool.preparedQuery("SELECT u.tenant_id, t.name, sum(u.requests) AS requests,"
                        + " sum(u.prompt_tokens + u.completion_tokens) AS total_tokens FROM usage_hourly u"
                        + " LEFT JOIN tenants t ON t.id = u.tenant_id WHERE u.hour >= $1 AND ($2::text[] IS NULL OR u.tenant_id = ANY($2))"
                        + " GROUP BY 1, 2 ORDER BY total_tokens DESC, requests DESC, 1 LIMIT 5")
                .execute(args).map(rows -> {
                    JsonArray a = new JsonArray();
                    rows.forEach(r -> a.add(new JsonObject().put("tenant_id", r.getString("tenant_id")).put("name", r.getString("name"))
                            .put("requests", r.getLong("requests")).put("total_tokens", r.getLong("total_tokens"))));
                    return a;
                });
        Future<JsonArray> topModels = pool.preparedQuery("SELECT model, sum(requests) AS requests,"
                        + " sum(prompt_tokens + completion_tokens) AS total_tokens FROM usage_hourly"
                        + " WHERE hour >= $1 AND ($2::text[] IS NULL OR tenant_id = ANY($2)) AND model <> ''"
                        + " GROUP BY 1 ORDER BY total_tokens DESC, requests DESC, 1 LIMIT 5")
                .execute(args).map(rows -> {
                    JsonArray a = new JsonArray();
                    rows.forEach(r -> a.add(new JsonObject().put("model", r.getString("model")).put("requests", r.getLong("requests"))
                            .put("total_tokens", r.getLong("total_tokens"))));
                    return a;
                });
        return Future.all(series, topTenants, topModels).map(v -> {
            JsonArray points = new JsonArray();
            long requests = 0;
            long errors = 0;
            long prompt = 0;
            long completion = 0;
            long latency = 0;
            for (long t = start.getEpochSecond(); t < end.getEpochSecond(); t += 3600) {
                Row r = series.result().get(t);
                long n = r == null ? 0 : r.getLong("requests");
                long e = r == null ? 0 : r.getLong("errors");
                long p = r == null ? 0 : r.getLong("prompt_tokens");
                long c = r == null ? 0 : r.getLong("completion_tokens");
                long l = r == null ? 0 : r.getLong("latency_ms_sum");
                points.add(new JsonObject().put("t", t).put("requests", n).put("errors", e).put("prompt_tokens", p)
                        .put("completion_tokens", c).put("latency_ms_avg", n == 0 ? 0.0 : round((double) l / n))
                        .put("latency_ms_max", r == null ? 0 : r.getInteger("latency_ms_max")));
                requests += n;
                errors += e;
                prompt += p;
                completion += c;
                latency += l;
            }
            return new JsonObject().put("object", "overview").put("hours", hours).put("start", start.getEpochSecond())
                    .put("end", end.getEpochSecond()).put("series", points)
                    .put("totals", new JsonObject().put("requests", requests).put("errors", errors).put("prompt_tokens", prompt)
                            .put("completion_tokens", completion).put("latency_ms_avg", requests == 0 ? 0.0 : round((double) latency / requests)))
                    .put("top_tenants", topTenants.result()).put("top_models", topModels.result());
        });
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
