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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs fine-tuning jobs and batches on this machine (the local backend's counterpart of the Kubernetes job controller):
 * admits queued jobs up to a number at a time (no GPU quota here: one machine), runs each admitted
 * attempt as a {@code lmaas worker job} (or {@code worker batch}) child process, starts it again when it dies while its job is still
 * active (it resumes from the last checkpoint) up to a limit, then fails the job; stops the process of a
 * job that was cancelled. Logs go to {@code <logs>/job-<id>.log}.
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
    private final Map<String, Process> processes = new HashMap<>();
    private final Map<String, Integer> restarts = new HashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "local-jobs");
        t.setDaemon(true);
        return t;
    });

    public LocalJobRunner(JobRepository jobs, LocalBackendConfig config, DatabaseUrl database, Path artifacts, int maxConcurrent,
            int restartLimit, Clock clock) {
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

    /** The pid of a job's running worker process, if any (for operators and tests). */
    public synchronized Long pid(String jobId) {
        Process p = processes.get(jobId);
        return p != null && p.isAlive() ? p.pid() : null;
    }

    synchronized void tick() {
        List<JobRecord> active = Blocking.await(jobs.listActive()).stream().filter(j -> RUNS.contains(j.kind())).toList();
        Map<String, JobRecord> byId = new HashMap<>();
        active.forEach(j -> byId.put(j.id(), j));
        // Cancelled (or otherwise ended) jobs: their processes stop.
        processes.entrySet().removeIf(e -> {
            JobRecord j = byId.get(e.getKey());
            if (j == null || j.admittedFlavor() == null) {
                if (e.getValue().isAlive()) {
                    LOG.info("job {} is no longer active: stopping its worker (pid {})", e.getKey(), e.getValue().pid());
                    e.getValue().destroy();
                }
                restarts.remove(e.getKey());
                return true;
            }
            return false;
        });
        // Admitted jobs run; a process that died while its job is active starts again (it resumes).
        long admitted = active.stream().filter(j -> j.admittedFlavor() != null).count();
        for (JobRecord j : active) {
            if (j.admittedFlavor() == null) {
                continue;
            }
            Process p = processes.get(j.id());
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
    }

    private void launch(JobRecord j) {
        try {
            Files.createDirectories(config.logDirectory());
            Path log = config.logDirectory().resolve("job-" + j.id() + ".log");
            ProcessBuilder pb = new ProcessBuilder(WorkerCommand.job(config, j.kind(), j.id(), ProcessHandle.current().pid()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(config.environment());
            pb.environment().remove(WorkerToken.ENV); // a job serves nothing: it gets no worker credential
            pb.environment().put("LMAAS_DATABASE_URL", database.withCredentials());
            pb.environment().put("LMAAS_ARTIFACTS", artifacts.toAbsolutePath().toString());
            Process p = pb.start();
            processes.put(j.id(), p);
            LOG.info("job {} attempt {}: worker started (pid {})", j.id(), j.attempt(), p.pid());
        } catch (IOException e) {
            LOG.warn("job {}: cannot start a worker: {}", j.id(), e.toString());
        }
    }

    @Override
    public synchronized void close() {
        loop.shutdownNow();
        for (Process p : processes.values()) {
            p.destroy();
        }
        for (Process p : processes.values()) {
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
