package io.lmaas.batch;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.config.Settings;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.files.FileRecord;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.jobs.ComputeMetering;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.batches.BatchLedger;
import io.lmaas.gateway.batches.BatchOutputs;
import io.lmaas.gateway.batches.BatchRepository;
import io.lmaas.worker.jobs.JobAttempt;
import io.lmaas.worker.runtime.ComputeDevice;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lmaas worker batch --job-id ID}: runs the current attempt of an admitted batch (a child process of the local
 * scheduler, or a Kubernetes Job's pod). It checks the input and the model, loads the model in-process, answers the
 * lines from where the batch's progress is ({@link BatchRun}), ends the batch ({@link BatchEnd}) and meters the
 * attempt's worker-seconds. It watches the batch every second: a cancel stops it and ends the batch cancelled with what
 * was committed; a preemption or another attempt stops it and leaves the rest to the next attempt. Exit 0 when the
 * batch's state is recorded; non-zero when the attempt should run again (the supervisor starts it; it resumes).
 */
public final class BatchProcess {
    private static final Logger LOG = LoggerFactory.getLogger(BatchProcess.class);
    public static final String ENDPOINT = "/v1/batches";

    private BatchProcess() {
    }

    /** Why the attempt stops before its end. */
    private enum Stop {
        CANCELLED, TAKEN_OVER
    }

    public static int run(Settings s) throws Exception {
        String jobId = s.required("job-id");
        int chunkLines = s.integer("chunk-lines", 256, 1, 100_000);
        try (JobAttempt attempt = JobAttempt.open(s, "batch-watch", 4)) {
            Pool pool = attempt.pool();
            JobRepository jobs = attempt.jobs();
            ArtifactStore store = attempt.store();
            JobRecord job = await(jobs.find(jobId));
            if (!JobAttempt.runs(job) || !"batch".equals(job.kind())) {
                LOG.info("batch {} is not an admitted, active batch ({}): nothing to run", jobId, job == null ? "absent" : job.status());
                return 0;
            }
            DataKey key = TenantKeys.confineProcess(pool, job.tenantId(), "batch worker");
            await(jobs.running(job.id(), job.attempt(), "running in batch worker process " + ProcessHandle.current().pid()));
            BatchRepository batches = new BatchRepository(pool);
            BatchLedger ledger = new BatchLedger(pool, Clock.systemUTC());
            BatchOutputs outputs = new BatchOutputs(store);
            BatchEnd end = new BatchEnd(batches, ledger, outputs);
            AtomicReference<Stop> stop = new AtomicReference<>(stopOf(job));
            attempt.watch(() -> {
                try {
                    Stop why = stopOf(await(jobs.find(jobId)), job.attempt());
                    if (why != null) {
                        stop.compareAndSet(null, why);
                    }
                } catch (Exception e) {
                    LOG.warn("batch {}: status check failed: {}", jobId, e.toString());
                }
            });
            if (stop.get() == Stop.CANCELLED) {
                end.cancelled(job, key); // cancelled while no attempt ran: what earlier attempts committed is kept
                return 0;
            }
            long started = System.currentTimeMillis();
            JsonObject spec = job.spec();
            String endpoint = spec.getString("endpoint");
            FileRecord input = await(new FileRepository(pool).find(job.tenantId(), spec.getString("input_file_id")));
            if (input == null) {
                end.failed(job, "invalid_input_file", "the input file " + spec.getString("input_file_id") + " no longer exists");
                return 0;
            }
            BatchInput in;
            BatchModel model;
            try {
                in = BatchInput.read(ArtifactStore.path(input.artifactUri()), key, endpoint);
                model = BatchModel.resolve(new ModelCatalogRepository(pool), job.tenantId(), spec, in.model());
            } catch (BatchInput.Invalid e) {
                end.failed(job, "invalid_input_file", e.getMessage());
                return 0;
            } catch (BatchModel.Refused e) {
                end.failed(job, e.code, e.getMessage());
                return 0;
            }
            int from = job.result() == null ? 0 : job.result().getInteger("lines_done", 0);
            JsonObject startedFields = new JsonObject().put("request_counts", counts(job, in.requests().size()));
            if (job.result() == null || job.result().getValue("in_progress_at") == null) {
                startedFields.put("in_progress_at", Instant.now().getEpochSecond());
            }
            await(batches.progress(job.id(), job.attempt(), startedFields));
            LOG.info("batch {} attempt {}: {} lines of {} on {}, from line {}", jobId, job.attempt(), in.requests().size(), endpoint,
                    model.id(), from);
            BatchLedger.Batch batch = new BatchLedger.Batch(job.id(), job.tenantId(), spec.getString("key_id"), model.id(), endpoint,
                    in.requests().size());
            BatchRun.End outcome;
            try (InProcessModel served = InProcessModel.load(model.id(), model.directory(), model.adapter(),
                    ComputeDevice.select(s.string("device", "auto")), s.optional("threads").map(Integer::parseInt).orElse(null),
                    () -> stop.get() != null)) {
                outcome = new BatchRun(ledger, batch, job.attempt(), "batch-" + ProcessHandle.current().pid(),
                        outputs.chunkFiles(job.id()), key, served, chunkLines, () -> stop.get() != null,
                        p -> reportProgress(batches, job, p, from, holdAt(in), () -> stop.get() != null)).run(in.requests(), from);
            }
            long millis = System.currentTimeMillis() - started;
            switch (outcome) {
                case DONE -> {
                    end.completed(job, key);
                    await(new ComputeMetering(pool).record(job, ENDPOINT, model.id(), 0, 200, null, millis));
                }
                case STOPPED -> {
                    await(new ComputeMetering(pool).record(job, ENDPOINT, model.id(), 0, 499, "stopped", millis));
                    if (stop.get() == Stop.CANCELLED) {
                        end.cancelled(job, key);
                    }
                }
                case STALE -> LOG.info("batch {} attempt {}: taken over; stopping", jobId, job.attempt());
            }
            LOG.info("batch {} attempt {}: {} after {} ms", jobId, job.attempt(), outcome, millis);
            return 0;
        }
    }

    private static Stop stopOf(JobRecord job) {
        return job.result() != null && job.result().getValue("cancelling_at") != null ? Stop.CANCELLED : null;
    }

    private static Stop stopOf(JobRecord now, int attempt) {
        if (now == null || !JobAttempt.ACTIVE.contains(now.status()) || now.attempt() != attempt) {
            return Stop.TAKEN_OVER;
        }
        return stopOf(now);
    }

    private static JsonObject counts(JobRecord job, int total) {
        JsonObject before = job.result() == null ? null : job.result().getJsonObject("request_counts");
        return new JsonObject().put("total", total).put("completed", before == null ? 0 : before.getInteger("completed", 0))
                .put("failed", before == null ? 0 : before.getInteger("failed", 0));
    }

    /** A fault-injection point for tests (a JVM option of the worker, never a tenant's input): see {@link #reportProgress}. */
    static final String HOLD_PROPERTY = "lmaas.batch.holdAfterCustomId";

    /** The index of the request whose {@code custom_id} is the hold property's value, or -1. */
    private static int holdAt(BatchInput in) {
        String id = System.getProperty(HOLD_PROPERTY);
        if (id == null) {
            return -1;
        }
        for (int i = 0; i < in.requests().size(); i++) {
            if (id.equals(in.requests().get(i).getValue("custom_id"))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * After a commit: the attempt's pace and the estimated finish into the batch's result. With {@code holdAt} (the index
     * of the request named by the {@link #HOLD_PROPERTY} JVM option, -1 without it), an attempt that started at or
     * before that request stops answering once it is committed and waits until it is killed or stopped: a test can kill a batch
     * worker mid-run without racing it. An attempt that starts after it never holds.
     */
    private static void reportProgress(BatchRepository batches, JobRecord job, BatchRun.Progress p, int from, int holdAt,
            java.util.function.BooleanSupplier stopped) {
        if (p.seconds() > 0 && p.linesThisAttempt() > 0) {
            double rate = p.linesThisAttempt() / p.seconds();
            long finish = Instant.now().getEpochSecond() + Math.round((p.total() - p.linesDone()) / rate);
            try {
                await(batches.progress(job.id(), job.attempt(), new JsonObject().put("lines_per_second", Math.round(rate * 10) / 10.0)
                        .put("estimated_finish", finish)));
            } catch (Exception e) {
                LOG.warn("batch {}: progress not recorded: {}", job.id(), e.toString());
            }
        }
        if (holdAt >= 0 && from <= holdAt && p.linesDone() > holdAt) {
            LOG.warn("batch {}: holding after line {} ({})", job.id(), p.linesDone(), HOLD_PROPERTY);
            while (!stopped.getAsBoolean()) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    static <T> T await(Future<T> f) throws Exception {
        try {
            return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }
}
