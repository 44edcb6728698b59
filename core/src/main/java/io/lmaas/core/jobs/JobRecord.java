package io.lmaas.core.jobs;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A tenant's job (fine-tuning or batch) as the scheduler sees it: what it needs (GPUs of which flavors, at
 * which priority), where admission put it ({@code admittedFlavor}, null while queued) and which attempt it
 * is on (a preempted job starts again under a new attempt, so its Kubernetes Job gets a new name).
 */
public record JobRecord(String id, String tenantId, String kind, String status, String reason, int priority,
        List<String> gpuFlavors, int gpus, String admittedFlavor, OffsetDateTime admittedAt, int attempt,
        OffsetDateTime createdAt, JsonObject spec, JsonObject result, OffsetDateTime finishedAt) {

    public static final String VALIDATING_FILES = "validating_files";

    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    public boolean admitted() {
        return admittedFlavor != null || (gpus == 0 && RUNNING.equals(status));
    }
}
