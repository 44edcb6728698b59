package io.lmaas.scheduler.local;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.scheduler.k8s.Blocking;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs fine-tuning jobs and batches on this machine (the local backend's counterpart of the Kubernetes job controller):
 * admits queued jobs up to a number at a time (no GPU quota here: one machine), runs each admitted
 * attempt as a {@code lmaas worker job} (or {@code worker batch}) child process, starts it again when it dies while its job is still
 * active (it resumes from the last checkpoint) up to a limit, then fails the job; stops the process of a
 * job that was cancelled. Logs go to {@code <logs>/job-<id>.log}.
 *
 * <p>A batch worker whose batch completed is kept up, idle, for {@code linger}: the tenant's next admitted batch is
 * handed to it (its id on the worker's standard input) instead of starting a new process, so it runs without a JVM start,
 * a model load or a compiler warm-up. An idle worker is only ever handed batches of the tenant it ran (it holds that
 * tenant's data key and no other); closing its input ends it. At most as many workers are idle as the machine has job
 * slots, and a new worker process ends the longest-idle ones so that new and idle workers together fit them.
 *
 * <p>With a standby model, one more batch worker is kept started for no tenant ({@code worker batch --standby}): it
 * loads that platform model and warms up on made-up lines, then waits. A tenant's batch that no idle worker of its own
 * can take goes to it — it then belongs to that tenant, as a worker started for the batch would — and a new standby
 * starts once no job's worker runs and none waits for a slot (it would take CPU from a running batch). A standby that
 * exits by itself is not started again for a minute. {@link #wake} runs a tick at once (on a job's insert or status
 * change, notified by PostgreSQL) instead of at the next interval.
 */
public final class LocalJobRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalJobRunner.class);

    /** The kinds of job a worker process runs: fine-tuning ({@code worker job}) and batches ({@code worker batch}). */
    private static final java.util.Set<String> RUNS = java.util.Set.of("fine_tuning", "batch");

    private final JobRepository jobs;
    private final LocalBackendConfig config;
    private final DatabaseUrl database;
    private final Path artifacts;
    private final int maxConcurrent;
    private final int restartLimit;
    private final Clock clock;
    private final Duration linger;
    private final String standbyModel;
    private final Map<String, Running> processes = new HashMap<>();
    private final IdleBatchWorkers idle = new IdleBatchWorkers();
    private java.time.Instant standbyAfter = java.time.Instant.MIN;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Map<String, Integer> restarts = new HashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "local-jobs");
        t.setDaemon(true);
        return t;
    });

    /** A job's worker process, with the tenant and kind of the job it runs, and its log (its first job's). */
    private record Running(Process process, String tenantId, String kind, Path log) {
    }

    /**
     * {@code linger}: how long a batch worker whose batch completed waits for its tenant's next (zero: not at all);
     * {@code standbyModel}: the platform model a standby batch worker warms up on (null: no standby; needs a linger).
     */
    public LocalJobRunner(JobRepository jobs, LocalBackendConfig config, DatabaseUrl database, Path artifacts, int maxConcurrent,
            int restartLimit, Clock clock, Duration linger, String standbyModel) {
        this.linger = linger;
        this.standbyModel = linger.isZero() ? null : standbyModel;
        this.jobs = jobs;
        this.config = config;
        this.database = database;
        this.artifacts = artifacts;
        this.maxConcurrent = maxConcurrent;
        this.restartLimit = restartLimit;
        this.clock = clock;
    }

    public void start(Duration interval) {
        loop.scheduleWithFixedDelay(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.warn("local job runner: {}", e.toString());
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A tick as soon as the loop is free (coalesced: one pending at most), for a job inserted or changed now. */
    public void wake() {
        if (wakePending.compareAndSet(false, true)) {
            try {
                loop.execute(() -> {
                    wakePending.set(false);
                    try {
                        tick();
                    } catch (RuntimeException e) {
                        LOG.warn("local job runner: {}", e.toString());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                wakePending.set(false); // closed
            }
        }
    }

    /** The pid of a job's running worker process, if any (for operators and tests). */
    public synchronized Long pid(String jobId) {
        Running r = processes.get(jobId);
        return r != null && r.process().isAlive() ? r.process().pid() : null;
    }

    /** The pid of the tenant's idle batch worker, if any (for operators and tests). */
    public synchronized Long idlePid(String tenantId) {
        return idle.pid(java.util.Objects.requireNonNull(tenantId));
    }

    /** The pid of the standby batch worker, if one is up (for operators and tests). */
    public synchronized Long standbyPid() {
        return idle.pid(null);
    }

    synchronized void tick() {
        List<JobRecord> active = Blocking.await(jobs.listActive()).stream().filter(j -> RUNS.contains(j.kind())).toList();
        Map<String, JobRecord> byId = new HashMap<>();
        active.forEach(j -> byId.put(j.id(), j));
        // Cancelled (or otherwise ended) jobs: their processes stop, but a batch worker whose batch completed waits idle.
        processes.entrySet().removeIf(e -> {
            JobRecord j = byId.get(e.getKey());
            if (j == null || j.admittedFlavor() == null) {
                Process p = e.getValue().process();
                if (j == null && p.isAlive() && completedBatch(e.getKey(), e.getValue())) {
                    keepIdle(e.getValue());
                } else if (p.isAlive()) {
                    LOG.info("job {} is no longer active: stopping its worker (pid {})", e.getKey(), p.pid());
                    p.destroy();
                }
                restarts.remove(e.getKey());
                return true;
            }
            return false;
        });
        if (idle.expire(clock.instant(), linger)) {
            standbyAfter = clock.instant().plusSeconds(60); // it exited by itself: not again at once
        }
        // Admitted jobs run; a process that died while its job is active starts again (it resumes).
        long admitted = active.stream().filter(j -> j.admittedFlavor() != null).count();
        for (JobRecord j : active) {
            if (j.admittedFlavor() == null) {
                continue;
            }
            Running r = processes.get(j.id());
            Process p = r == null ? null : r.process();
            if (p != null && p.isAlive()) {
                continue;
            }
            if (p != null) {
                int n = restarts.merge(j.id(), 1, Integer::sum);
                if (n > restartLimit) {
                    Blocking.await(jobs.finished(j.id(), j.attempt(), JobRecord.FAILED, "the worker process exited " + n
                            + " times (last exit status " + p.exitValue() + "); see logs/job-" + j.id() + ".log"));
                    processes.remove(j.id());
                    continue;
                }
                LOG.warn("job {}: worker exited with {} while the job was active; starting it again ({} of {})", j.id(),
                        p.exitValue(), n, restartLimit);
            }
            launch(j);
        }
        // Queued jobs are admitted while there is room, by priority then age.
        List<JobRecord> queued = active.stream().filter(j -> j.admittedFlavor() == null && JobRecord.QUEUED.equals(j.status()))
                .sorted(Comparator.comparingInt(JobRecord::priority).reversed().thenComparing(JobRecord::createdAt)).toList();
        for (JobRecord j : queued) {
            if (admitted >= maxConcurrent) {
                Blocking.await(jobs.waiting(j.id(), "WaitingForCapacity: " + admitted + "/" + maxConcurrent
                        + " local job slots busy"));
                continue;
            }
            if (Blocking.await(jobs.admit(j.id(), "cpu", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC),
                    "admitted: runs on this machine"))) {
                admitted++;
                JobRecord fresh = Blocking.await(jobs.find(j.id()));
                launch(fresh);
            }
        }
        if (standbyModel != null && processes.isEmpty() && queued.isEmpty() && !idle.hasStandby()
                && !clock.instant().isBefore(standbyAfter)) {
            startStandby();
        }
    }

    /** Whether the process ran a batch that completed: it waits for its tenant's next batch (when lingering is on). */
    private boolean completedBatch(String jobId, Running r) {
        if (linger.isZero() || !"batch".equals(r.kind())) {
            return false;
        }
        JobRecord ended = Blocking.await(jobs.find(jobId));
        return ended != null && JobRecord.SUCCEEDED.equals(ended.status());
    }

    private void keepIdle(Running r) {
        idle.keep(r.tenantId(), new IdleBatchWorkers.Waiting(r.process(), clock.instant(), r.log()));
        LOG.info("batch worker pid {} is idle, kept for tenant {}'s next batch for {} s", r.process().pid(), r.tenantId(),
                linger.toSeconds());
        idle.keepAtMost(maxConcurrent);
    }

    private void launch(JobRecord j) {
        IdleBatchWorkers.Waiting waiting = "batch".equals(j.kind()) ? idle.hand(j.tenantId(), j.id()) : null;
        if (waiting != null) {
            processes.put(j.id(), new Running(waiting.process(), j.tenantId(), j.kind(), waiting.log()));
            LOG.info("job {} attempt {}: handed to the waiting batch worker pid {} (its log: {})", j.id(), j.attempt(),
                    waiting.process().pid(), waiting.log().getFileName());
            return;
        }
        // A new process: the longest-idle workers end first, so that new and idle workers together fit the job slots.
        idle.keepAtMost(Math.max(0, maxConcurrent - 1));
        try {
            Path log = config.logDirectory().resolve("job-" + j.id() + ".log");
            Process p = start(WorkerCommand.job(config, j.kind(), j.id(), ProcessHandle.current().pid(),
                    !linger.isZero() && "batch".equals(j.kind())), log);
            processes.put(j.id(), new Running(p, j.tenantId(), j.kind(), log));
            LOG.info("job {} attempt {}: worker started (pid {})", j.id(), j.attempt(), p.pid());
        } catch (IOException e) {
            LOG.warn("job {}: cannot start a worker: {}", j.id(), e.toString());
        }
    }

    /** Starts the standby batch worker (for no tenant: it holds no key until a batch is handed to it). */
    private void startStandby() {
        try {
            Path log = config.logDirectory().resolve("batch-standby-" + clock.millis() + ".log");
            Process p = start(WorkerCommand.standby(config, standbyModel, ProcessHandle.current().pid()), log);
            idle.standBy(new IdleBatchWorkers.Waiting(p, clock.instant(), log));
            LOG.info("standby batch worker started (pid {}), warming up on {}", p.pid(), standbyModel);
        } catch (IOException e) {
            LOG.warn("cannot start a standby batch worker: {}", e.toString());
            standbyAfter = clock.instant().plusSeconds(60);
        }
    }

    /** A job worker process: the database and artifacts in its environment, no worker credential (it serves nothing). */
    private Process start(java.util.List<String> command, Path log) throws IOException {
        Files.createDirectories(config.logDirectory());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(config.environment());
        pb.environment().remove(WorkerToken.ENV);
        pb.environment().put("LMAAS_DATABASE_URL", database.withCredentials());
        pb.environment().put("LMAAS_ARTIFACTS", artifacts.toAbsolutePath().toString());
        return pb.start();
    }

    @Override
    public synchronized void close() {
        loop.shutdownNow();
        java.util.List<Process> all = new java.util.ArrayList<>();
        processes.values().forEach(r -> all.add(r.process()));
        all.addAll(idle.drain());
        for (Process p : all) {
            p.destroy();
        }
        for (Process p : all) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.destroyForcibly();
        }
        processes.clear();
    }
}
