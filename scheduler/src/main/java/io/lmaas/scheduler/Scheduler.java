package io.lmaas.scheduler;

/**
 * The scheduler as the launchers see it, whichever backend runs the workloads: {@link io.lmaas.scheduler.local.LocalScheduler}
 * (workers and jobs as processes on this machine) or {@link io.lmaas.scheduler.k8s.KubernetesScheduler} (Deployments and
 * Jobs, one leader among replicas). Both read the same desired state from PostgreSQL and write back what they observe;
 * {@code lmaas up} starts the first, {@code lmaas scheduler} the second, and the probes ask {@link #electing}.
 */
public interface Scheduler extends AutoCloseable {

    /** Starts reconciling deployments and running jobs (on Kubernetes: once this replica leads). */
    void start() throws Exception;

    /** Whether this replica takes part: on Kubernetes, in leader election (the liveness probe); locally, until closed. */
    boolean electing();

    /** Stops what it started; locally that stops the workers too. */
    @Override
    void close();
}
