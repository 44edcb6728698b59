package io.lmaas.worker.jobs;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.config.Settings;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.jobs.ComputeMetering;
import io.lmaas.core.jobs.FineTuningBudget;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lmaas worker job --job-id ID}: runs the current attempt of an admitted job (a child process of the
 * local scheduler, or a Kubernetes Job's pod). It marks the job running, watches it (a cancelled or
 * preempted job stops at the next step), runs it, meters its worker-seconds, and records how it ended. A
 * failure the tenant must act on (bad file, untrainable base) fails the job; anything else exits non-zero,
 * and the supervisor starts the attempt again, which resumes from the last checkpoint.
 */
public final class JobProcess {
    private static final Logger LOG = LoggerFactory.getLogger(JobProcess.class);
    public static final String FINE_TUNING_ENDPOINT = "/v1/fine_tuning/jobs";

    private JobProcess() {
    }

    /** Returns the process exit status: 0 when the job's state is recorded, 1 when the attempt should run again. */
    public static int run(Settings s) throws Exception {
        String jobId = s.required("job-id");
        try (JobAttempt attempt = JobAttempt.open(s, "job-watch", 2)) {
            Pool pool = attempt.pool();
            JobRepository jobs = attempt.jobs();
            ArtifactStore store = attempt.store();
            JobRecord job = FineTuneRun.await(jobs.find(jobId));
            if (!JobAttempt.runs(job)) {
                LOG.info("job {} is not an admitted, active job ({}): nothing to run", jobId, job == null ? "absent" : job.status());
                return 0;
            }
            // Everything the job writes is sealed with its tenant's data key; it reads sealed artifacts of that tenant only.
            TenantKeys.confineProcess(pool, job.tenantId(), "job");
            FineTuneRun.await(jobs.running(job.id(), job.attempt(), "running in worker process " + ProcessHandle.current().pid()));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<FineTuningBudget.Use> overBudget = new AtomicReference<>();
            FineTuningBudget budget = new FineTuningBudget(new GpuQueueRepository(pool), jobs);
            long started = System.currentTimeMillis();
            attempt.watch(() -> {
                try {
                    JobRecord now = FineTuneRun.await(jobs.find(jobId));
                    if (now == null || !JobAttempt.ACTIVE.contains(now.status()) || now.attempt() != job.attempt()) {
                        stop.set(true);
                    }
                    // The month's worker-seconds, this attempt's included: a job that spends the budget stops.
                    FineTuningBudget.Use use = FineTuneRun.await(budget.use(job.tenantId(),
                            (System.currentTimeMillis() - started) / 1000.0, Instant.now()));
                    if (use.exceeded()) {
                        overBudget.set(use);
                        stop.set(true);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("job {}: status check failed: {}", jobId, e.toString());
                }
            });
            ComputeMetering meter = new ComputeMetering(pool);
            String model = job.spec().getString("model");
            if (!"fine_tuning".equals(job.kind())) {
                FineTuneRun.await(jobs.finished(job.id(), job.attempt(), JobRecord.FAILED, "jobs of kind " + job.kind()
                        + " do not run in a worker"));
                return 0;
            }
            try {
                FineTuneRun.Result r = new FineTuneRun(job, jobs, new FileRepository(pool), new ModelCatalogRepository(pool), store)
                        .run(stop::get);
                if (!r.completed() && overBudget.get() != null) {
                    throw new FineTuneRun.JobFailure("quota_exceeded", overBudget.get().message()
                            + " The job stopped; its checkpoints are kept.");
                }
                FineTuneRun.await(meter.record(job, FINE_TUNING_ENDPOINT, model, r.trainedTokens(), r.completed() ? 200 : 499,
                        r.completed() ? null : "cancelled", System.currentTimeMillis() - started));
                if (r.completed()) {
                    FineTuneRun.await(jobs.succeeded(job.id(), job.attempt(), new JsonObject().put("fine_tuned_model", r.fineTunedModel())
                            .put("trained_tokens", r.trainedTokens()), "the fine-tuned model " + r.fineTunedModel() + " is ready"));
                    LOG.info("job {} succeeded: {}", jobId, r.fineTunedModel());
                } else {
                    LOG.info("job {} stopped: it was cancelled or preempted", jobId);
                }
                return 0;
            } catch (FineTuneRun.JobFailure e) {
                FineTuneRun.await(meter.record(job, FINE_TUNING_ENDPOINT, model, 0, "quota_exceeded".equals(e.code) ? 402 : 400, e.code,
                        System.currentTimeMillis() - started));
                FineTuneRun.await(jobs.progress(job.id(), new JsonObject().put("error_code", e.code)));
                FineTuneRun.await(jobs.finished(job.id(), job.attempt(), JobRecord.FAILED, e.getMessage()));
                LOG.warn("job {} failed: {}", jobId, e.getMessage());
                return 0;
            }
        }
    }
}
