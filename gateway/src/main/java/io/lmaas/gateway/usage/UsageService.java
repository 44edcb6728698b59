package io.lmaas.gateway.usage;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;

/**
 * Usage reports. Grouped reports answer from the daily roll-ups (fast whatever the ledger's size);
 * windows are whole UTC days: {@code start} rounds down, {@code end} (exclusive) rounds up.
 */
public final class UsageService {
    public static final Set<String> GROUPS = Set.of("day", "model", "key");

    private final UsageRepository repository;

    public UsageService(UsageRepository repository) {
        this.repository = repository;
    }

    /** {@code {"object":"list","data":[groups...],"totals":{...}}}; group_by null gives the totals only. */
    public Future<JsonObject> summary(String tenantId, OffsetDateTime start, OffsetDateTime end, String groupBy) {
        if (groupBy != null && !GROUPS.contains(groupBy)) {
            throw ApiException.invalidParam("group_by", "'group_by' must be one of day, model, key");
        }
        LocalDate from = start == null ? null : start.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
        LocalDate to = end == null ? null : ceilDay(end);
        Future<JsonObject> totals = repository.summary(tenantId, from, to, null).map(l -> l.get(0));
        Future<JsonArray> groups = groupBy == null ? Future.succeededFuture(new JsonArray())
                : repository.summary(tenantId, from, to, groupBy).map(l -> new JsonArray(new java.util.ArrayList<>(l)));
        return Future.all(totals, groups).map(v -> new JsonObject()
                .put("object", "list")
                .put("tenant_id", tenantId)
                .put("group_by", groupBy)
                .put("start_day", from == null ? null : from.toString())
                .put("end_day", to == null ? null : to.toString())
                .put("data", groups.result())
                .put("totals", totals.result()));
    }

    public Future<JsonObject> rows(String tenantId, OffsetDateTime start, OffsetDateTime end, int limit) {
        Future<JsonArray> rows = repository.list(tenantId, start, end, limit).map(list -> {
            JsonArray a = new JsonArray();
            list.forEach(r -> a.add(r.toJson()));
            return a;
        });
        Future<JsonObject> totals = repository.summary(tenantId,
                start == null ? null : start.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate(),
                end == null ? null : ceilDay(end), null).map(l -> l.get(0));
        return Future.all(rows, totals).map(v -> new JsonObject().put("object", "list").put("tenant_id", tenantId)
                .put("data", rows.result()).put("totals", totals.result()));
    }

    private static LocalDate ceilDay(OffsetDateTime t) {
        OffsetDateTime utc = t.withOffsetSameInstant(ZoneOffset.UTC);
        LocalDate d = utc.toLocalDate();
        return utc.toLocalTime().equals(java.time.LocalTime.MIDNIGHT) ? d : d.plusDays(1);
    }
}
