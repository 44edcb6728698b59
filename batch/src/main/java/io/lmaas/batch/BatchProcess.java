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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lmaas worker batch --job-id ID}: runs the current attempt of an admitted batch (a child process of the local
 * scheduler, or a Kubernetes Job's pod). It checks the input and the model, loads the model in-process, answers the
 * lines from where the batch's progress is ({@link BatchRun}), ends the batch ({@link BatchEnd}) and meters the
 * attempt's worker-seconds. It watches the batch every second: a cancel stops it and ends the batch cancelled with what
 * was committed; a preemption or another attempt stops it and leaves the rest to the next attempt. Exit 0 when the
 * batch's state is recorded; non-zero when the attempt should run again (the supervisor starts it; it resumes).
 *
 * <p>With {@code --next-jobs-from-stdin} (the local scheduler's way), a worker whose batch completed stays up and reads
 * the id of its tenant's next admitted batch from its standard input, one per line, keeping its loaded model when the
 * next batch runs the same one: a tenant's batches after the first skip the JVM's start, the model's load and the
 * compiler's warm-up. It ends at the end of its input (the scheduler closes it when the worker has been idle too long).
 * A worker serves one tenant only: the first batch's data key is the only one it ever holds, and a batch of another
 * tenant is refused without being touched (exit {@value #OTHER_TENANT}: the scheduler starts a fresh worker for it).
 *
 * <p>With {@code --standby} (and no job id), the worker is started for no tenant: it warms up on a platform model
 * ({@code --standby-model}, {@link StandbyWarmup}), then reads its first batch's id from its standard input; from that
 * batch on it is that tenant's worker, as above.
 */
public final class BatchProcess {
    private static final Logger LOG = LoggerFactory.getLogger(BatchProcess.class);
    public static final String ENDPOINT = "/v1/batches";
    /** The exit status of a worker handed a batch of another tenant than its first. */
    public static final int OTHER_TENANT = 4;

    private BatchProcess() {
    }

    /** Why the attempt stops before its end. */
    private enum Stop {
        CANCELLED, TAKEN_OVER
    }

    /** How a batch's run in this process ended, for whether the process may run another. */
    private enum Ran {
        /** The batch completed: this worker may run its tenant's next one. */
        COMPLETED,
        /** Anything else recorded (failed, cancelled, stopped, taken over, not to run). */
        ENDED,
        /** Another tenant's batch: not touched. */
        OTHER_TENANT
    }

    /** Loads a model in this process (or keeps the one loaded). */
    @FunctionalInterface
    interface ModelLoader {
        InProcessModel load(BatchModel model) throws Exception;
    }

    /** What this process keeps from one batch to the next: the tenant it serves, its data key, the model it has loaded. */
    private static final class Kept implements AutoCloseable {
        String tenantId;
        DataKey key;
        BatchModel model;
        InProcessModel served;

        InProcessModel load(BatchModel wanted, Settings s) throws Exception {
            if (served != null && wanted.equals(model)) {
                return served;
            }
            close();
            served = InProcessModel.load(wanted.id(), wanted.directory(), wanted.adapter(),
                    ComputeDevice.select(s.string("device", "auto")), s.optional("threads").map(Integer::parseInt).orElse(null));
            model = wanted;
            return served;
        }

        @Override
        public void close() {
            if (served != null) {
                served.close();
                served = null;
                model = null;
            }
        }
    }

    public static int run(Settings s) throws Exception {
        boolean standby = s.bool("standby", false);
        String jobId = standby ? null : s.required("job-id");
        int chunkLines = s.integer("chunk-lines", 256, 1, 100_000);
        BufferedReader next = standby || s.bool("next-jobs-from-stdin", false)
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)) : null;
        try (JobAttempt attempt = JobAttempt.open(s, "batch-watch", 4); Kept kept = new Kept()) {
            if (standby) {
                StandbyWarmup.standBy(s, attempt, m -> kept.load(m, s), kept::close);
                jobId = nextJob(next);
                if (jobId == null) {
                    return 0;
                }
            }
            while (true) {
                Ran ran = runOne(s, attempt, jobId, chunkLines, kept);
                if (ran == Ran.OTHER_TENANT) {
                    return OTHER_TENANT;
                }
                if (ran != Ran.COMPLETED || next == null) {
                    return 0;
                }
                LOG.info("batch worker {}: waiting for tenant {}'s next batch", ProcessHandle.current().pid(), kept.tenantId);
                jobId = nextJob(next);
                if (jobId == null) {
                    return 0;
                }
            }
        }
    }

    /** The next batch's id from the standard input; null at its end (the scheduler closed it). */
    private static String nextJob(BufferedReader next) throws java.io.IOException {
        String line = next.readLine();
        if (line == null || line.isBlank()) {
            LOG.info("batch worker {}: no next batch; exiting", ProcessHandle.current().pid());
            return null;
        }
        return line.trim();
    }

    private static Ran runOne(Settings s, JobAttempt attempt, String jobId, int chunkLines, Kept kept) throws Exception {
        Pool pool = attempt.pool();
        JobRepository jobs = attempt.jobs();
        ArtifactStore store = attempt.store();
        JobRecord job = await(jobs.find(jobId));
        if (!JobAttempt.runs(job) || !"batch".equals(job.kind())) {
            LOG.info("batch {} is not an admitted, active batch ({}): nothing to run", jobId, job == null ? "absent" : job.status());
            return Ran.ENDED;
        }
        if (kept.tenantId == null) {
            kept.key = TenantKeys.confineProcess(pool, job.tenantId(), "batch worker");
            kept.tenantId = job.tenantId();
        } else if (!kept.tenantId.equals(job.tenantId())) {
            LOG.warn("batch {} is another tenant's than this worker's first batch: not run here", jobId);
            return Ran.OTHER_TENANT;
        }
        DataKey key = kept.key;
        await(jobs.running(job.id(), job.attempt(), "running in batch worker process " + ProcessHandle.current().pid()));
        BatchRepository batches = new BatchRepository(pool);
        BatchLedger ledger = new BatchLedger(pool, Clock.systemUTC());
        BatchOutputs outputs = new BatchOutputs(store);
        BatchEnd end = new BatchEnd(batches, ledger, outputs);
        AtomicReference<Stop> stop = new AtomicReference<>(stopOf(job));
        ScheduledFuture<?> watching = attempt.watch(() -> {
            try {
                Stop why = stopOf(await(jobs.find(jobId)), job.attempt());
                if (why != null) {
                    stop.compareAndSet(null, why);
                }
            } catch (Exception e) {
                LOG.warn("batch {}: status check failed: {}", jobId, e.toString());
            }
        });
        try {
            return answer(s, pool, job, chunkLines, kept, key, batches, ledger, outputs, end, stop);
        } finally {
            watching.cancel(false);
        }
    }

    private static Ran answer(Settings s, Pool pool, JobRecord job, int chunkLines, Kept kept, DataKey key,
            BatchRepository batches, BatchLedger ledger, BatchOutputs outputs, BatchEnd end, AtomicReference<Stop> stop)
            throws Exception {
        String jobId = job.id();
        if (stop.get() == Stop.CANCELLED) {
            end.cancelled(job, key); // cancelled while no attempt ran: what earlier attempts committed is kept
            return Ran.ENDED;
        }
        long started = System.currentTimeMillis();
        JsonObject spec = job.spec();
        String endpoint = spec.getString("endpoint");
        FileRecord input = await(new FileRepository(pool).find(job.tenantId(), spec.getString("input_file_id")));
        if (input == null) {
            end.failed(job, "invalid_input_file", "the input file " + spec.getString("input_file_id") + " no longer exists");
            return Ran.ENDED;
        }
        BatchInput in;
        BatchModel model;
        try {
            in = BatchInput.read(ArtifactStore.path(input.artifactUri()), key, endpoint);
            model = BatchModel.resolve(new ModelCatalogRepository(pool), job.tenantId(), spec, in.model());
        } catch (BatchInput.Invalid e) {
            end.failed(job, "invalid_input_file", e.getMessage());
            return Ran.ENDED;
        } catch (BatchModel.Refused e) {
            end.failed(job, e.code, e.getMessage());
            return Ran.ENDED;
        }
        int from = job.result() == null ? 0 : job.result().getInteger("lines_done", 0);
        JsonObject startedFields = new JsonObject().put("request_counts", counts(job, in.requests().size()));
        if (job.result() == null || job.result().getValue("in_progress_at") == null) {
            startedFields.put("in_progress_at", Instant.now().getEpochSecond());
        }
        await(batches.progress(job.id(), job.attempt(), startedFields));
        LOG.info("batch {} attempt {}: {} lines of {} on {}, from line {} (this process up {} ms)", jobId, job.attempt(),
                in.requests().size(), endpoint, model.id(), from, ManagementFactory.getRuntimeMXBean().getUptime());
        BatchLedger.Batch batch = new BatchLedger.Batch(job.id(), job.tenantId(), spec.getString("key_id"), model.id(), endpoint,
                in.requests().size());
        BooleanSupplier stopped = () -> stop.get() != null;
        BatchRun.End outcome;
        try {
            long loading = System.nanoTime();
            InProcessModel served = kept.load(model, s);
            LOG.info("batch {}: model {} ready in {} ms", jobId, model.id(), (System.nanoTime() - loading) / 1_000_000);
            served.cancelWhen(stopped);
            outcome = new BatchRun(ledger, batch, job.attempt(), "batch-" + ProcessHandle.current().pid(),
                    outputs.chunkFiles(job.id()), key, served, chunkLines, stopped,
                    p -> reportProgress(batches, job, p, from, holdAt(in), stopped)).run(in.requests(), from);
        } catch (Exception | Error e) {
            kept.close(); // a model that failed mid-batch is not kept for the next
            throw e;
        }
        long millis = System.currentTimeMillis() - started;
        boolean completed = false;
        switch (outcome) {
            case DONE -> {
                completed = end.completed(job, key);
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
        return completed ? Ran.COMPLETED : Ran.ENDED;
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
            BooleanSupplier stopped) {
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
