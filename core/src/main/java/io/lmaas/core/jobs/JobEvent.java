package io.lmaas.core.jobs;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * One entry of a job's history: queued, waiting (with the reason), admitted, running, pod, preempted,
 * metrics (with {@code data}: step, train_loss, valid_loss, accuracy), checkpoint, succeeded, failed, cancelled.
 */
public record JobEvent(long id, OffsetDateTime at, String level, String type, String message, JsonObject data) {
}
