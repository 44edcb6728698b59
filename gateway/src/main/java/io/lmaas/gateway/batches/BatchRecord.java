package io.lmaas.gateway.batches;

import io.lmaas.core.jobs.JobRecord;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * A batch: a job of kind {@code batch}, scheduled like a fine-tuning job ({@code jobStatus} queued, running, succeeded,
 * failed or cancelled). {@code spec} holds input_file_id, endpoint, completion_window, metadata and the creating key;
 * {@code result} the batch worker's progress (lines_done, request_counts, lines_per_second, estimated_finish), the
 * timestamps, the output and error files and errors. Its OpenAI status is read from both ({@link #status()}).
 */
public record BatchRecord(String id, String tenantId, String jobStatus, String reason, JsonObject spec, JsonObject result,
        OffsetDateTime createdAt) {
    public static final String VALIDATING = "validating";
    public static final String IN_PROGRESS = "in_progress";
    public static final String FINALIZING = "finalizing";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String CANCELLING = "cancelling";
    public static final String CANCELLED = "cancelled";

    public static BatchRecord of(JobRecord j) {
        return new BatchRecord(j.id(), j.tenantId(), j.status(), j.reason(), j.spec() == null ? new JsonObject() : j.spec(),
                j.result() == null ? new JsonObject() : j.result(), j.createdAt());
    }

    /**
     * OpenAI's status: {@code validating} until a batch worker has checked the input (queued for capacity included),
     * then {@code in_progress} (also while queued again after a preemption), {@code finalizing} while the output files
     * are written, {@code cancelling} from a cancel until the worker stops; the job's end as completed, failed or
     * cancelled.
     */
    public String status() {
        JsonObject r = result == null ? new JsonObject() : result;
        return switch (jobStatus) {
            case JobRecord.SUCCEEDED -> COMPLETED;
            case JobRecord.FAILED -> FAILED;
            case JobRecord.CANCELLED -> CANCELLED;
            default -> r.getValue("cancelling_at") != null ? CANCELLING
                    : r.getValue("finalizing_at") != null ? FINALIZING
                    : r.getValue("in_progress_at") != null ? IN_PROGRESS : VALIDATING;
        };
    }

    public boolean ended() {
        return JobRecord.SUCCEEDED.equals(jobStatus) || JobRecord.FAILED.equals(jobStatus) || JobRecord.CANCELLED.equals(jobStatus);
    }

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
                .put("status", status())
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
                .put("metadata", spec.getJsonObject("metadata"))
                // LMaaS's own: why it waits (the scheduler's reason), its pace (its last attempt's, once ended) and when it
                // should end.
                .put("status_reason", ended() ? null : reason)
                .put("lines_per_second", r.getValue("lines_per_second"))
                .put("estimated_finish", ended() ? null : r.getValue("estimated_finish"));
    }
}
