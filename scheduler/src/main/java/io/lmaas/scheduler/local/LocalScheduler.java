package io.lmaas.scheduler.local;

import io.lmaas.core.crypto.ModelKeys;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.scheduler.Scheduler;
import io.lmaas.scheduler.SchedulerVerticle;
import io.lmaas.core.db.Pools;
import io.vertx.core.Vertx;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler of local mode: the deployment reconcile loop ({@link SchedulerVerticle}) over the process backend
 * ({@link LocalBackend}), and fine-tuning jobs as worker processes ({@link LocalJobRunner}). One per machine; it
 * always "leads".
 */
public final class LocalScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(LocalScheduler.class);

    private final Vertx vertx;
    private final Pool pool;
    private final LocalBackendConfig workers;
    private final DatabaseUrl database;
    private final Path artifacts;
    private final ModelKeys modelKeys;
    private final Duration batchWorkerLinger;
    private final String batchStandbyModel;
    private LocalJobRunner jobs;
    private PgSubscriber jobChanges;
    private String deployment;
    private volatile boolean running;

    public LocalScheduler(Vertx vertx, Pool pool, LocalBackendConfig workers, DatabaseUrl database, Path artifacts) {
        this(vertx, pool, workers, database, artifacts, Duration.ZERO, null, ModelKeys.NONE);
    }

    /**
     * {@code batchWorkerLinger}: how long a batch worker whose batch completed waits for its tenant's next batch
     * (zero: it exits at once). {@code batchStandbyModel}: the platform model a standby batch worker warms up on (null:
     * no standby). {@code modelKeys}: the data keys of tenants' sealed models, for the workers that serve them.
     */
    public LocalScheduler(Vertx vertx, Pool pool, LocalBackendConfig workers, DatabaseUrl database, Path artifacts,
            Duration batchWorkerLinger, String batchStandbyModel, ModelKeys modelKeys) {
        this.batchWorkerLinger = batchWorkerLinger;
        this.batchStandbyModel = batchStandbyModel;
        this.modelKeys = modelKeys;
        this.vertx = vertx;
        this.pool = pool;
        this.workers = workers;
        this.database = database;
        this.artifacts = artifacts;
    }

    @Override
    public void start() throws Exception {
        LocalBackend backend = new LocalBackend(vertx, workers, Clock.systemUTC(), modelKeys);
        deployment = vertx.deployVerticle(new SchedulerVerticle(new DeploymentRepository(pool), new EndpointRepository(pool),
                backend, Duration.ofSeconds(1))).await(120, TimeUnit.SECONDS);
        jobs = new LocalJobRunner(new JobRepository(pool), workers, database, artifacts, 1, 2, Clock.systemUTC(), batchWorkerLinger,
                batchStandbyModel);
        jobs.start(Duration.ofMillis(500));
        // A job inserted or changed wakes the runner at once; the interval stays for what no notification says (a dead process).
        jobChanges = PgSubscriber.subscriber(vertx, Pools.connectOptions(database))
                .reconnectPolicy(attempt -> Math.min(5000L, 100L * (attempt + 1)));
        LocalJobRunner runner = jobs;
        jobChanges.channel("lmaas_jobs").handler(id -> runner.wake());
        jobChanges.connect().onFailure(e -> LOG.warn("job notifications unavailable ({}); the job runner ticks every 500 ms",
                e.toString()));
        running = true;
    }

    /** The job runner (null before {@link #start}). */
    public LocalJobRunner jobs() {
        return jobs;
    }

    @Override
    public boolean electing() {
        return running;
    }

    /** Stops the job runner, then the reconcile loop (which stops the workers). */
    @Override
    public void close() {
        running = false;
        if (jobChanges != null) {
            jobChanges.close();
        }
        if (jobs != null) {
            jobs.close();
        }
        if (deployment != null) {
            try {
                vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("scheduler stop: {}", e.toString());
            }
        }
    }
}
