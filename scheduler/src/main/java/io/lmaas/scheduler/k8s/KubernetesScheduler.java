package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.scheduler.Scheduler;
import io.lmaas.scheduler.k8s.jobs.JobController;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler on Kubernetes: while it holds the {@code lmaas-scheduler} Lease (so two replicas never act
 * at once) it runs the ModelDeployment reconciler, GPU admission, the job controller and the admin-API →
 * ModelDeployment sync; when it loses the Lease it stops them all and campaigns again.
 */
public final class KubernetesScheduler implements Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesScheduler.class);
    public static final String LEASE = "lmaas-scheduler";

    /** How long a Lease is held, renewed and retried: the failover time is about the lease duration. */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, Duration cycle) {
        public static final Timing DEFAULT = new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2),
                Duration.ofSeconds(1));
    }

    private final KubernetesClient client;
    private final KubernetesConfig config;
    private final Pool pool;
    private final Clock clock;
    private final String identity;
    private final Timing timing;
    private volatile CompletableFuture<?> election;
    private Running running;
    private volatile boolean leading;

    public KubernetesScheduler(KubernetesClient client, KubernetesConfig config, Pool pool, Clock clock, String identity,
            Timing timing) {
        this.client = client;
        this.config = config;
        this.pool = pool;
        this.clock = clock;
        this.identity = identity;
        this.timing = timing;
    }

    /** The controllers that run while leading. */
    private record Running(ModelDeploymentReconciler reconciler, JobController jobs, AdmissionController admission,
            ScheduledExecutorService sync) {
        void close() {
            sync.shutdownNow();
            admission.close();
            jobs.close();
            reconciler.close();
        }
    }

    @Override
    public void start() {
        election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName(LEASE)
                .withLock(new LeaseLock(config.namespace(), LEASE, identity))
                .withLeaseDuration(timing.leaseDuration())
                .withRenewDeadline(timing.renewDeadline())
                .withRetryPeriod(timing.retryPeriod())
                .withReleaseOnCancel()
                .withLeaderCallbacks(new LeaderCallbacks(this::lead, this::follow,
                        leader -> LOG.info("scheduler leader is now {}", leader)))
                .build()).build().start();
    }

    public boolean leading() {
        return leading;
    }

    /** Whether this replica takes part in leader election (started, and the elector has not ended). */
    @Override
    public boolean electing() {
        CompletableFuture<?> e = election;
        return e != null && !e.isDone();
    }

    private synchronized void lead() {
        LOG.info("{} leads: starting the reconciler, admission, jobs and the deployment sync", identity);
        DeploymentRepository deployments = new DeploymentRepository(pool);
        JobRepository jobRepository = new JobRepository(pool);
        ModelDeploymentReconciler reconciler = new ModelDeploymentReconciler(client, config,
                new PostgresMirror(deployments, new EndpointRepository(pool), pool), clock, true);
        JobController jobs = new JobController(client, config, jobRepository);
        AdmissionController admission = new AdmissionController(client, config, jobRepository, new GpuQueueRepository(pool), clock,
                () -> {
                    jobs.trigger();
                    reconciler.requeueAll();
                });
        DeploymentSync sync = new DeploymentSync(client, config, deployments);
        ScheduledExecutorService syncLoop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "deployment-sync");
            t.setDaemon(true);
            return t;
        });
        reconciler.start();
        jobs.start(timing.cycle());
        admission.start(timing.cycle());
        syncLoop.scheduleWithFixedDelay(() -> {
            try {
                sync.syncOnce();
            } catch (RuntimeException e) {
                LOG.warn("deployment sync failed: {}", e.toString());
            }
        }, 0, timing.cycle().toMillis(), TimeUnit.MILLISECONDS);
        running = new Running(reconciler, jobs, admission, syncLoop);
        leading = true;
    }

    private synchronized void follow() {
        leading = false;
        if (running != null) {
            LOG.info("{} stopped leading: controllers stop", identity);
            running.close();
            running = null;
        }
    }

    @Override
    public void close() {
        if (election != null) {
            election.cancel(true);
        }
        follow();
    }
}
