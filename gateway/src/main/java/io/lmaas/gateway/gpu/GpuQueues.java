package io.lmaas.gateway.gpu;

import io.lmaas.core.jobs.GpuQueueRecord;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A tenant's GPU queue on the wire (pure): {@code {"weight": 1, "cohort": "research", "nominal": {"h100": 4},
 * "borrowing_limit": {"h100": 2}, "fine_tuning_seconds_per_month": 36000}}. Flavor names as the scheduler's GPU
 * flavors; counts 0 to 100,000; the budget in worker-seconds (null: unlimited).
 */
public final class GpuQueues {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private GpuQueues() {
    }

    public static GpuQueueRecord parse(String tenantId, JsonObject body) {
        Object weight = body.getValue("weight", 1);
        if (!(weight instanceof Integer w) || w < 1 || w > 1000) {
            throw ApiException.invalidParam("weight", "'weight' must be an integer from 1 to 1000");
        }
        Object cohort = body.getValue("cohort");
        if (cohort != null && !(cohort instanceof String c && NAME.matcher(c).matches())) {
            throw ApiException.invalidParam("cohort", "'cohort' must be a lower-case name (letters, digits, '-') or null");
        }
        Object budget = body.getValue("fine_tuning_seconds_per_month");
        if (budget != null && !(budget instanceof Number n && n.longValue() >= 0 && n.doubleValue() == Math.rint(n.doubleValue()))) {
            throw ApiException.invalidParam("fine_tuning_seconds_per_month",
                    "'fine_tuning_seconds_per_month' must be a whole number of worker-seconds or null (unlimited)");
        }
        return new GpuQueueRecord(tenantId, w, (String) cohort, counts(body, "nominal"), counts(body, "borrowing_limit"),
                budget == null ? null : ((Number) budget).longValue());
    }

    private static Map<String, Integer> counts(JsonObject body, String field) {
        Object raw = body.getValue(field);
        if (raw == null) {
            return Map.of();
        }
        if (!(raw instanceof JsonObject o)) {
            throw ApiException.invalidParam(field, "'" + field + "' must be an object of GPU flavor to count");
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String flavor : o.fieldNames()) {
            Object n = o.getValue(flavor);
            if (!NAME.matcher(flavor).matches() || !(n instanceof Integer count) || count < 0 || count > 100_000) {
                throw ApiException.invalidParam(field, "'" + field + "' maps GPU flavor names to counts from 0 to 100000");
            }
            out.put(flavor, count);
        }
        return out;
    }

    public static JsonObject toJson(GpuQueueRecord q) {
        return new JsonObject().put("object", "gpu_queue").put("tenant_id", q.tenantId()).put("weight", q.weight())
                .put("cohort", q.cohort()).put("nominal", new JsonObject(new LinkedHashMap<>(q.nominal())))
                .put("borrowing_limit", new JsonObject(new LinkedHashMap<>(q.borrowingLimit())))
                .put("fine_tuning_seconds_per_month", q.fineTuningSecondsPerMonth());
    }
}
