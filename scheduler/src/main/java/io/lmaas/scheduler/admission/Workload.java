package io.lmaas.scheduler.admission;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Something that needs GPUs: a serving deployment (all its replicas) or a job. {@code flavors} are the
 * GPU flavors it accepts, in order of preference; {@code gpus} is the total it needs at once.
 */
public record Workload(String id, String tenant, Kind kind, List<String> flavors, int gpus, int priority, Instant createdAt) {

    public enum Kind { SERVING, JOB }

    public Workload {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        flavors = List.copyOf(flavors);
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be >= 0");
        }
        if (gpus > 0 && flavors.isEmpty()) {
            throw new IllegalArgumentException("a workload that needs GPUs names at least one flavor");
        }
    }
}
