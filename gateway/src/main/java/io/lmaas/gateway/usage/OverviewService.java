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
import java.util.function.Function;

/**
 * The console's overview: requests, tokens, errors and latency per hour over a window, with totals and
 * the top tenants and models — all from the hourly roll-ups, so its cost does not grow with the ledger.
 * {@code tenants} null means every tenant (the platform admin); otherwise only those. SQL here, the
 * series in {@link OverviewSeries}.
 */
public final class OverviewService {
    public static final int MAX_HOURS = 2160;
    private static final String WINDOW = " WHERE u.hour >= $1 AND ($2::text[] IS NULL OR u.tenant_id = ANY($2))";

    private final Pool pool;

    public OverviewService(Pool pool) {
        this.pool = pool;
    }

    public Future<JsonObject> overview(List<String> tenants, int hours, Instant now) {
        Instant end = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        Instant start = end.minus(hours, ChronoUnit.HOURS);
        Tuple args = Tuple.of(OffsetDateTime.ofInstant(start, ZoneOffset.UTC))
                .addArrayOfString(tenants == null ? null : tenants.toArray(new String[0]));
        Future<Map<Long, OverviewSeries.Hour>> series = pool.preparedQuery("SELECT u.hour, sum(u.requests) AS requests,"
                        + " sum(u.errors) AS errors, sum(u.prompt_tokens) AS prompt_tokens, sum(u.completion_tokens) AS completion_tokens,"
                        + " sum(u.latency_ms_sum) AS latency_ms_sum, max(u.latency_ms_max) AS latency_ms_max FROM usage_hourly u"
                        + WINDOW + " GROUP BY u.hour")
                .execute(args).map(rows -> {
                    Map<Long, OverviewSeries.Hour> byHour = new HashMap<>();
                    rows.forEach(r -> byHour.put(r.getOffsetDateTime("hour").toEpochSecond(), new OverviewSeries.Hour(
                            r.getLong("requests"), r.getLong("errors"), r.getLong("prompt_tokens"), r.getLong("completion_tokens"),
                            r.getLong("latency_ms_sum"), r.getInteger("latency_ms_max"))));
                    return byHour;
                });
        Future<JsonArray> topTenants = top(args, "u.tenant_id, t.name", " LEFT JOIN tenants t ON t.id = u.tenant_id",
                "", r -> new JsonObject().put("tenant_id", r.getString("tenant_id")).put("name", r.getString("name")));
        Future<JsonArray> topModels = top(args, "u.model", "", " AND u.model <> ''",
                r -> new JsonObject().put("model", r.getString("model")));
        return Future.all(series, topTenants, topModels).map(v -> OverviewSeries.of(start.getEpochSecond(), end.getEpochSecond(),
                        series.result())
                .put("object", "overview").put("hours", hours).put("start", start.getEpochSecond()).put("end", end.getEpochSecond())
                .put("top_tenants", topTenants.result()).put("top_models", topModels.result()));
    }

    /** The five groups with the most tokens (then requests) in the window. */
    private Future<JsonArray> top(Tuple args, String groupBy, String join, String filter, Function<Row, JsonObject> key) {
        return pool.preparedQuery("SELECT " + groupBy + ", sum(u.requests) AS requests, sum(u.prompt_tokens + u.completion_tokens)"
                        + " AS total_tokens FROM usage_hourly u" + join + WINDOW + filter + " GROUP BY " + groupBy
                        + " ORDER BY total_tokens DESC, requests DESC, 1 LIMIT 5")
                .execute(args).map(rows -> {
                    JsonArray a = new JsonArray();
                    rows.forEach(r -> a.add(key.apply(r).put("requests", r.getLong("requests")).put("total_tokens", r.getLong("total_tokens"))));
                    return a;
                });
    }
}
