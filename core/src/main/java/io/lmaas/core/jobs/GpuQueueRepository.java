package io.lmaas.core.jobs;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tenants' GPU queues (SQL only). */
public final class GpuQueueRepository {
    private final Pool pool;

    public GpuQueueRepository(Pool pool) {
        this.pool = pool;
    }

    public Future<Void> put(GpuQueueRecord q) {
        return pool.preparedQuery("INSERT INTO gpu_queues (tenant_id, weight, cohort, nominal, borrowing_limit,"
                        + " fine_tuning_seconds_per_month) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO UPDATE SET"
                        + " weight = $2, cohort = $3, nominal = $4, borrowing_limit = $5, fine_tuning_seconds_per_month = $6,"
                        + " updated_at = now()")
                .execute(Tuple.of(q.tenantId(), q.weight(), q.cohort(), new JsonObject(new LinkedHashMap<>(q.nominal())),
                        new JsonObject(new LinkedHashMap<>(q.borrowingLimit())), q.fineTuningSecondsPerMonth()))
                .mapEmpty();
    }

    public Future<GpuQueueRecord> find(String tenantId) {
        return pool.preparedQuery("SELECT tenant_id, weight, cohort, nominal, borrowing_limit, fine_tuning_seconds_per_month FROM gpu_queues"
                        + " WHERE tenant_id = $1")
                .execute(Tuple.of(tenantId)).map(rows -> rows.size() == 0 ? null : queue(rows.iterator().next()));
    }

    public Future<List<GpuQueueRecord>> listAll() {
        return pool.query("SELECT tenant_id, weight, cohort, nominal, borrowing_limit, fine_tuning_seconds_per_month FROM gpu_queues"
                        + " ORDER BY tenant_id")
                .execute().map(rows -> {
                    List<GpuQueueRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(queue(r)));
                    return out;
                });
    }

    private static GpuQueueRecord queue(Row r) {
        return new GpuQueueRecord(r.getString("tenant_id"), r.getInteger("weight"), r.getString("cohort"),
                counts(r.getJsonObject("nominal")), counts(r.getJsonObject("borrowing_limit")),
                r.getLong("fine_tuning_seconds_per_month"));
    }

    private static Map<String, Integer> counts(JsonObject o) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (o != null) {
            o.forEach(e -> out.put(e.getKey(), ((Number) e.getValue()).intValue()));
        }
        return out;
    }
}
