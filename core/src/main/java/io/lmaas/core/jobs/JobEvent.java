package io.lmaas.core.jobs;

import java.time.OffsetDateTime;

/** One entry of a job's history: queued, waiting (with the reason), admitted, running, preempted, succeeded, failed. */
public record JobEvent(long id, OffsetDateTime at, String level, String type, String message) {
}
