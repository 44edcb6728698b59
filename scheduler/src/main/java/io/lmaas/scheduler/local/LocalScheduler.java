package io.lmaas.scheduler.local;

import io.lmaas.core.crypto.ModelKeys;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.scheduler.Scheduler;
import io.lmaas.scheduler.SchedulerVerticle;
import io.vertx.core.Vertx;
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
    private LocalJobRunner jobs;
    private String deployment;
    private volatile boolean running;

    public LocalScheduler(Vertx vertx, Pool pool, LocalBackendConfig workers, DatabaseUrl database, Path artifacts) {
        this(vertx, pool, workers, database, artifacts, ModelKeys.NONE);
    }

    /** {@code modelKeys}: the data keys of tenants' sealed models, for the workers that serve them. */
    public LocalScheduler(Vertx vertx, Pool pool, LocalBackendConfig workers, DatabaseUrl database, Path artifacts,
            ModelKeys modelKeys) {
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
        jobs = new LocalJobRunner(new JobRepository(pool), workers, database, artifacts, 1, 2, Clock.systemUTC());
        jobs.start(Duration.ofMillis(500));
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
