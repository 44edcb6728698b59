package io.lmaas.core.jobs;

import io.vertx.core.json.JsonObject;

/** The model id a fine-tuning job's result is registered under: {@code ft:<base>:<tenant>:<suffix>:<job id>} (pure). */
public final class FineTunedNames {
    private FineTunedNames() {
    }

    public static String name(JobRecord job) {
        JsonObject spec = job.spec() == null ? new JsonObject() : job.spec();
        String suffix = spec.getString("suffix");
        return "ft:" + spec.getString("model", "model") + ":" + job.tenantId() + ":" + (suffix == null ? "" : suffix) + ":" + job.id();
    }
}
