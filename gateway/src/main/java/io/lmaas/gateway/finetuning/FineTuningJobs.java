package io.lmaas.gateway.finetuning;

import io.lmaas.core.jobs.FineTunedNames;
import io.lmaas.core.jobs.JobEvent;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Jobs, events and checkpoints in OpenAI's fine-tuning shapes (pure), with LMaaS's additions:
 * {@code status_reason} (why a queued job waits — e.g. {@code InsufficientQuota: tenant acme uses 4/4 h100}
 * — or why it failed) and {@code gpu} (what it asked for and where admission put it).
 */
public final class FineTuningJobs {
    private FineTuningJobs() {
    }

    public static JsonObject job(JobRecord j) {
        JsonObject spec = j.spec() == null ? new JsonObject() : j.spec();
        JsonObject result = j.result() == null ? new JsonObject() : j.result();
        boolean failed = JobRecord.FAILED.equals(j.status());
        return new JsonObject()
                .put("object", "fine_tuning.job")
                .put("id", j.id())
                .put("model", spec.getString("model", null))
                .put("created_at", j.createdAt().toEpochSecond())
                .put("finished_at", j.finishedAt() == null ? null : j.finishedAt().toEpochSecond())
                .put("fine_tuned_model", result.getString("fine_tuned_model"))
                .put("organization_id", j.tenantId())
                .put("status", j.status())
                .put("status_reason", failed ? null : j.reason())
                .put("error", failed ? new JsonObject().put("code", result.getString("error_code", "job_failed"))
                        .put("message", j.reason()).put("param", result.getString("error_param")) : null)
                .put("training_file", spec.getString("training_file", null))
                .put("validation_file", spec.getString("validation_file", null))
                .put("hyperparameters", spec.getJsonObject("hyperparameters", new JsonObject()))
                .put("suffix", spec.getString("suffix", null))
                .put("seed", spec.getValue("seed"))
                .put("trained_tokens", result.getValue("trained_tokens"))
                .put("estimated_finish", result.getValue("estimated_finish"))
                .put("result_files", new JsonArray())
                .put("gpu", new JsonObject().put("count", j.gpus()).put("flavors", new JsonArray(j.gpuFlavors()))
                        .put("admitted_flavor", j.admittedFlavor()).put("priority", j.priority()));
    }

    public static JsonObject event(JobEvent e) {
        boolean metrics = "metrics".equals(e.type());
        JsonObject data = e.data() == null ? new JsonObject() : e.data().copy();
        if (!metrics) {
            data.put("event", e.type());
        }
        return new JsonObject()
                .put("object", "fine_tuning.job.event")
                .put("id", "ftevent-" + e.id())
                .put("created_at", e.at().toEpochSecond())
                .put("level", e.level())
                .put("message", e.message())
                .put("type", metrics ? "metrics" : "message")
                .put("data", data);
    }

    public static JsonObject checkpoint(JobRecord job, JobRepository.Checkpoint c) {
        return new JsonObject()
                .put("object", "fine_tuning.job.checkpoint")
                .put("id", "ftckpt-" + c.id())
                .put("created_at", c.createdAt().toEpochSecond())
                .put("fine_tuning_job_id", job.id())
                .put("fine_tuned_model_checkpoint", checkpointModel(job, c.epoch()))
                .put("step_number", c.step())
                .put("metrics", c.metrics());
    }

    /** The name a checkpoint would be registered under: the fine-tuned model's with {@code :ckpt-epoch-N}. */
    static String checkpointModel(JobRecord job, int epoch) {
        JsonObject result = job.result() == null ? new JsonObject() : job.result();
        String model = result.getString("fine_tuned_model", FineTunedNames.name(job));
        return model + ":ckpt-epoch-" + epoch;
    }
}
