package io.lmaas.core.jobs;

import java.util.Map;

/**
 * A tenant's GPU queue as stored: weight, cohort (or null), nominal quota and borrowing limit per flavor,
 * and the fine-tuning budget in worker-seconds per calendar month (null: unlimited).
 */
public record GpuQueueRecord(String tenantId, int weight, String cohort, Map<String, Integer> nominal,
        Map<String, Integer> borrowingLimit, Long fineTuningSecondsPerMonth) {

    public GpuQueueRecord(String tenantId, int weight, String cohort, Map<String, Integer> nominal,
            Map<String, Integer> borrowingLimit) {
        this(tenantId, weight, cohort, nominal, borrowingLimit, null);
    }
}
