package io.lmaas.worker.jobs;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.config.Settings;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Pools;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a process that runs one attempt of an admitted job sets up (the fine-tuning worker, the batch worker): it goes
 * with its parent (a child of the local scheduler: a restarted platform starts the attempt again itself), a Vert.x
 * instance and a PostgreSQL pool, the artifact store, and a thread that watches the job. Closing stops the watch and
 * Vert.x.
 */
public final class JobAttempt implements AutoCloseable {
    /** The statuses in which a job's attempt runs. */
    public static final Set<String> ACTIVE = Set.of(JobRecord.QUEUED, JobRecord.RUNNING);

    private final Vertx vertx;
    private final Pool pool;
    private final JobRepository jobs;
    private final ArtifactStore store;
    private final ScheduledExecutorService watch;

    private JobAttempt(Vertx vertx, Pool pool, ArtifactStore store, ScheduledExecutorService watch) {
        this.vertx = vertx;
        this.pool = pool;
        this.jobs = new JobRepository(pool);
        this.store = store;
        this.watch = watch;
    }

    /** From the process's settings ({@code parent-pid}, {@code database-url}, {@code artifacts}). */
    public static JobAttempt open(Settings s, String watchThread, int connections) {
        s.optional("parent-pid").flatMap(pid -> ProcessHandle.of(Long.parseLong(pid)))
                .ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        DatabaseUrl database = DatabaseUrl.parse(s.required("database-url"));
        ArtifactStore store = new ArtifactStore(Path.of(s.required("artifacts")));
        Vertx vertx = Vertx.vertx();
        ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, watchThread);
            t.setDaemon(true);
            return t;
        });
        try {
            return new JobAttempt(vertx, Pools.create(vertx, database, connections), store, watch);
        } catch (RuntimeException e) {
            watch.shutdownNow();
            vertx.close();
            throw e;
        }
    }

    /** Whether {@code job} (null: gone) is admitted and active: its attempt is to run. */
    public static boolean runs(JobRecord job) {
        return job != null && ACTIVE.contains(job.status()) && job.admittedFlavor() != null;
    }

    public Pool pool() {
        return pool;
    }

    public JobRepository jobs() {
        return jobs;
    }

    public ArtifactStore store() {
        return store;
    }

    /** Runs {@code check} every second until the process ends or the returned future is cancelled. */
    public ScheduledFuture<?> watch(Runnable check) {
        return watch.scheduleWithFixedDelay(check, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        watch.shutdownNow();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
