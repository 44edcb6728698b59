package io.lmaas.scheduler.admission;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything one admission cycle looks at, immutable: the tenants' queues, GPU capacity per flavor (from
 * the nodes), the admitted workloads, the pending ones, and the time.
 */
public record Snapshot(Map<String, TenantQueue> queues, Map<String, Integer> capacity, List<Admitted> admitted,
        List<Workload> pending, Instant now) {

    public Snapshot {
        queues = Map.copyOf(queues);
        capacity = Map.copyOf(capacity);
        admitted = List.copyOf(admitted);
        pending = List.copyOf(pending);
    }

    /** A workload holding GPUs of a flavor since a time. */
    public record Admitted(Workload workload, String flavor, Instant admittedAt) {
    }
}
