package io.lmaas.scheduler.k8s.jobs;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.scheduler.k8s.Blocking;
import io.lmaas.scheduler.k8s.KubernetesConfig;
import io.lmaas.scheduler.k8s.Labels;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs admitted jobs as {@code batch/v1} Jobs and mirrors what they do into PostgreSQL: a Job exists for
 * every admitted job's current attempt (created once: the name is deterministic), its progress becomes
 * the job's status and events (running, succeeded, failed with Kubernetes' reason), and Jobs of attempts
 * that were preempted or cancelled are deleted (a finished attempt's Job stays until its TTL, logs and all).
 */
public final class JobController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobController.class);

    private final KubernetesClient client;
    private final KubernetesConfig config;
    private final JobRepository jobs;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "job-controller");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<Job> informer;
    private SharedIndexInformer<io.fabric8.kubernetes.api.model.Pod> pods;
    private volatile boolean queued;

    public JobController(KubernetesClient client, KubernetesConfig config, JobRepository jobs) {
        this.client = client;
        this.config = config;
        this.jobs = jobs;
    }

    public void start(Duration interval) {
        informer = client.batch().v1().jobs().inNamespace(config.namespace()).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .inform(Blocking.onChange(this::trigger, true), 60_000);
        pods = client.pods().inNamespace(config.namespace()).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .inform(Blocking.onChange(this::trigger, false), 60_000);
        loop.scheduleWithFixedDelay(this::safeReconcile, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Asks for a pass soon (coalesced). */
    public void trigger() {
        if (!queued) {
            queued = true;
            loop.execute(this::safeReconcile);
        }
    }

    private void safeReconcile() {
        queued = false;
        try {
            reconcile();
        } catch (RuntimeException e) {
            LOG.warn("job reconcile failed: {}", e.toString());
        }
    }

    void reconcile() {
        List<JobRecord> active = Blocking.await(jobs.listActive());
        Map<String, Job> byName = new HashMap<>();
        for (Job k : informer.getStore().list()) {
            byName.put(k.getMetadata().getName(), k);
        }
        Set<String> owned = new HashSet<>();
        for (JobRecord j : active) {
            if (j.admittedFlavor() == null) {
                continue;
            }
            String name = JobSpecs.name(j.id(), j.attempt());
            owned.add(name);
            Job k = byName.get(name);
            if (k == null) {
                create(JobSpecs.job(j, config.flavor(j.admittedFlavor()).orElse(null), config));
                continue;
            }
            mirror(j, k);
            podTrouble(j);
        }
        for (Job k : byName.values()) {
            if (owned.contains(k.getMetadata().getName()) || k.getMetadata().getDeletionTimestamp() != null || finished(k)) {
                continue;
            }
            client.batch().v1().jobs().inNamespace(config.namespace()).withName(k.getMetadata().getName())
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
        }
    }

    /** A finished attempt's Job stays (its pods' logs with it) until its TTL; preempted and cancelled attempts' go. */
    private boolean finished(Job k) {
        Map<String, String> labels = k.getMetadata().getLabels();
        String id = labels == null ? null : labels.get(Labels.JOB);
        if (id == null) {
            return false;
        }
        JobRecord j = Blocking.await(jobs.find(id));
        return j != null && (JobRecord.SUCCEEDED.equals(j.status()) || JobRecord.FAILED.equals(j.status()))
                && Integer.toString(j.attempt()).equals(labels.get(JobSpecs.ATTEMPT));
    }

    private void create(Job job) {
        try {
            client.batch().v1().jobs().inNamespace(config.namespace()).resource(job).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e; // 409: created before (a restart, or the cache is behind); the next pass mirrors it
            }
        }
    }

    private void mirror(JobRecord j, Job k) {
        if (k.getStatus() == null) {
            return;
        }
        JobCondition done = condition(k, "Complete");
        JobCondition failed = condition(k, "Failed");
        if (done != null) {
            Blocking.await(jobs.finished(j.id(), j.attempt(), JobRecord.SUCCEEDED, "the job completed"));
        } else if (failed != null) {
            String why = failed.getReason() == null ? "Failed" : failed.getReason();
            Blocking.await(jobs.finished(j.id(), j.attempt(), JobRecord.FAILED, why + (failed.getMessage() == null ? ""
                    : ": " + failed.getMessage())));
        } else if (JobRecord.QUEUED.equals(j.status()) && ((k.getStatus().getActive() != null && k.getStatus().getActive() > 0)
                || (k.getStatus().getReady() != null && k.getStatus().getReady() > 0))) {
            Blocking.await(jobs.running(j.id(), j.attempt(), "running as Kubernetes Job " + k.getMetadata().getName()));
        }
    }

    /** A job pod that cannot start (unschedulable, image not pulled, crash-looping) becomes a job event. */
    private void podTrouble(JobRecord j) {
        List<io.fabric8.kubernetes.api.model.Pod> own = pods.getStore().list().stream().filter(p -> p.getMetadata().getLabels() != null
                && j.id().equals(p.getMetadata().getLabels().get(Labels.JOB))
                && Integer.toString(j.attempt()).equals(p.getMetadata().getLabels().get(JobSpecs.ATTEMPT))).toList();
        io.lmaas.scheduler.k8s.ObservedStatus.podProblem(own).ifPresent(problem ->
                Blocking.await(jobs.podEvent(j.id(), "warn", problem.reason() + ": " + problem.message())));
    }

    private static JobCondition condition(Job k, String type) {
        if (k.getStatus().getConditions() == null) {
            return null;
        }
        return k.getStatus().getConditions().stream().filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst().orElse(null);
    }

    @Override
    public void close() {
        loop.shutdownNow();
        if (informer != null) {
            informer.close();
        }
        if (pods != null) {
            pods.close();
        }
    }
}
