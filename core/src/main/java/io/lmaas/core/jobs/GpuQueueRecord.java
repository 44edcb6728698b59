package io.lmaas.core.jobs;

import java.util.Map;

/** A tenant's GPU queue as stored: weight, cohort (or null), nominal quota and borrowing limit per flavor. */
public record GpuQueueRecord(String tenantId, int weight, String cohort, Map<String, Integer> nominal,
        Map<String, Integer> borrowingLimit) {
}
