package io.lmaas.gateway.batches;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * A batch (a job of kind {@code batch}): {@code spec} holds input_file_id, endpoint, completion_window,
 * metadata and the creating key; {@code result} the timestamps, request counts, output/error files and errors.
 */
public record BatchRecord(String id, String tenantId, String status, JsonObject spec, JsonObject result, OffsetDateTime createdAt) {
    public static final String VALIDATING = "validating";
    public static final String IN_PROGRESS = "in_progress";
    public static final String FINALIZING = "finalizing";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String CANCELLING = "cancelling";
    public static final String CANCELLED = "cancelled";

    public JsonObject toJson() {
        JsonObject r = result == null ? new JsonObject() : result;
        JsonObject counts = r.getJsonObject("request_counts", new JsonObject().put("total", 0).put("completed", 0).put("failed", 0));
        return new JsonObject()
                .put("id", id)
                .put("object", "batch")
                .put("endpoint", spec.getString("endpoint"))
                .put("errors", r.getJsonObject("errors"))
                .put("input_file_id", spec.getString("input_file_id"))
                .put("completion_window", spec.getString("completion_window"))
                .put("status", status)
                .put("output_file_id", r.getString("output_file_id"))
                .put("error_file_id", r.getString("error_file_id"))
                .put("created_at", createdAt.toEpochSecond())
                .put("in_progress_at", r.getValue("in_progress_at"))
                .put("expires_at", createdAt.toEpochSecond() + 24 * 3600)
                .put("finalizing_at", r.getValue("finalizing_at"))
                .put("completed_at", r.getValue("completed_at"))
                .put("failed_at", r.getValue("failed_at"))
                .put("cancelling_at", r.getValue("cancelling_at"))
                .put("cancelled_at", r.getValue("cancelled_at"))
                .put("request_counts", counts)
                .put("metadata", spec.getJsonObject("metadata"));
    }
}
