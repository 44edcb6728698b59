package io.lmaas.core.jobs;

import io.vertx.core.Future;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * A tenant's monthly fine-tuning budget in worker-seconds ({@code gpu_queues.fine_tuning_seconds_per_month},
 * null: unlimited) against what its jobs were metered this UTC month plus what a running attempt has used
 * so far. Checked when a job is created and, by the job's worker, while it runs.
 */
public final class FineTuningBudget {
    public static final String ENDPOINT = "/v1/fine_tuning/jobs";

    /** The budget (null: unlimited) and the worker-seconds used. */
    public record Use(Long budgetSeconds, double usedSeconds) {
        public boolean exceeded() {
            return budgetSeconds != null && usedSeconds >= budgetSeconds;
        }

        public String message() {
            return String.format("The fine-tuning budget of %d worker-seconds this month is used up (%.0f used).", budgetSeconds,
                    usedSeconds);
        }
    }

    private final GpuQueueRepository queues;
    private final JobRepository jobs;

    public FineTuningBudget(GpuQueueRepository queues, JobRepository jobs) {
        this.queues = queues;
        this.jobs = jobs;
    }

    public static OffsetDateTime monthStart(Instant now) {
        return OffsetDateTime.ofInstant(now, ZoneOffset.UTC).withDayOfMonth(1).toLocalDate().atStartOfDay().atOffset(ZoneOffset.UTC);
    }

    /** The tenant's use this month, plus {@code runningSeconds} not metered yet. */
    public Future<Use> use(String tenantId, double runningSeconds, Instant now) {
        return queues.find(tenantId).compose(q -> {
            Long budget = q == null ? null : q.fineTuningSecondsPerMonth();
            if (budget == null) {
                return Future.succeededFuture(new Use(null, 0));
            }
            return jobs.computeSeconds(tenantId, ENDPOINT, monthStart(now)).map(used -> new Use(budget, used + runningSeconds));
        });
    }
}
