package io.lmaas.gateway.finetuning;

import io.lmaas.core.jobs.JobEvent;
import io.lmaas.core.jobs.JobRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Jobs and their events in OpenAI's fine-tuning shapes (pure), with LMaaS's additions: {@code status_reason}
 * (why a queued job waits — e.g. {@code InsufficientQuota: tenant acme uses 4/4 h100} — or why it failed)
 * and {@code gpu} (what it asked for and where admission put it).
 */
public final class FineTuningJobs {
    private FineTuningJobs() {
    }

    public static JsonObject job(JobRecord j) {
        JsonObject spec = j.spec() == null ? new JsonObject() : j.spec();
        boolean failed = JobRecord.FAILED.equals(j.status());
        return new JsonObject()
                .put("object", "fine_tuning.job")
                .put("id", j.id())
                .put("model", spec.getString("model", null))
                .put("created_at", j.createdAt().toEpochSecond())
                .put("finished_at", (Object) null)
                .put("fine_tuned_model", (Object) null)
                .put("organization_id", j.tenantId())
                .put("status", j.status())
                .put("status_reason", j.reason())
                .put("error", failed ? new JsonObject().put("code", "job_failed").put("message", j.reason()).putNull("param") : null)
                .put("training_file", spec.getString("training_file", null))
                .put("validation_file", spec.getString("validation_file", null))
                .put("hyperparameters", spec.getJsonObject("hyperparameters", new JsonObject()))
                .put("seed", spec.getValue("seed"))
                .put("estimated_finish", (Object) null)
                .put("gpu", new JsonObject().put("count", j.gpus()).put("flavors", new JsonArray(j.gpuFlavors()))
                        .put("admitted_flavor", j.admittedFlavor()).put("priority", j.priority()));
    }

    public static JsonObject event(JobEvent e) {
        return new JsonObject()
                .put("object", "fine_tuning.job.event")
                .put("id", "ftevent-" + e.id())
                .put("created_at", e.at().toEpochSecond())
                .put("level", e.level())
                .put("message", e.message())
                .put("type", "message")
                .put("data", new JsonObject().put("event", e.type()));
    }
}
