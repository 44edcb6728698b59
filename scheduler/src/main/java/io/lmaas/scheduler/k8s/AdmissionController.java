package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.lmaas.core.jobs.GpuQueueRecord;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.scheduler.SchedulerMetrics;
import io.lmaas.scheduler.admission.AdmissionCycle;
import io.lmaas.scheduler.admission.Decisions;
import io.lmaas.scheduler.admission.Snapshot;
import io.lmaas.scheduler.admission.TenantQueue;
import io.lmaas.scheduler.admission.Workload;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link AdmissionCycle} against the live system: GPU queues and jobs from PostgreSQL, GPU capacity
 * from the Nodes, serving workloads from ModelDeployments with GPUs. It writes what it decides back where
 * each workload lives — jobs' admission, reasons and preemptions in PostgreSQL (with events), serving
 * admissions as annotations on the ModelDeployment ({@link #ADMITTED_GPUS}, read by the reconciler) — and
 * then pokes the job controller. One cycle at a time, on a timer and when nodes or ModelDeployments change.
 */
public final class AdmissionController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionController.class);
    public static final String ADMITTED_GPUS = "lmaas.io/admitted-gpus";
    public static final String ADMITTED_FLAVOR = "lmaas.io/admitted-flavor";
    public static final String ADMITTED_AT = "lmaas.io/admitted-at";
    public static final String ADMISSION = "lmaas.io/admission";
    /** Serving deployments outrank jobs unless a ModelDeployment says otherwise ({@code lmaas.io/priority}). */
    public static final int SERVING_PRIORITY = 1000;
    public static final String PRIORITY = "lmaas.io/priority";
    /** Deployments without a tenant belong to the platform, whose queue is all the capacity. */
    public static final String PLATFORM = "platform";
    private static final String MD_PREFIX = "md/";
    /** The admitted flavor recorded for jobs that need no GPUs. */
    public static final String CPU = "cpu";

    private final KubernetesClient client;
    private final KubernetesConfig config;
    private final JobRepository jobs;
    private final GpuQueueRepository queues;
    private final Clock clock;
    private final Runnable afterCycle;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpu-admission");
        t.setDaemon(true);
        return t;
    });
    private volatile SharedIndexInformer<Node> nodes;
    private volatile SharedIndexInformer<ModelDeployment> deployments;
    private volatile boolean queued;

    public AdmissionController(KubernetesClient client, KubernetesConfig config, JobRepository jobs, GpuQueueRepository queues,
            Clock clock, Runnable afterCycle) {
        this.client = client;
        this.config = config;
        this.jobs = jobs;
        this.queues = queues;
        this.clock = clock;
        this.afterCycle = afterCycle;
    }

    public void start(Duration interval) {
        nodes = client.nodes().inform(Blocking.onChange(this::trigger, true), 60_000);
        deployments = client.resources(ModelDeployment.class).inNamespace(config.namespace())
                .inform(Blocking.onChange(this::trigger, true), 60_000);
        loop.scheduleWithFixedDelay(this::safeTick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Asks for a cycle soon (coalesced). */
    public void trigger() {
        if (!queued) {
            queued = true;
            loop.execute(this::safeTick);
        }
    }

    private void safeTick() {
        queued = false;
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("admission cycle failed: {}", e.toString());
        }
    }

    /** One admission cycle: snapshot, decide, write back. */
    void tick() {
        if (nodes == null || deployments == null) {
            return; // still starting: the informers' first events arrive before both exist
        }
        long started = System.nanoTime();
        Instant now = clock.instant();
        Map<String, Integer> capacity = NodeCapacity.of(nodes.getStore().list(), config.flavors());
        Map<String, TenantQueue> tenantQueues = new HashMap<>();
        for (GpuQueueRecord q : Blocking.await(queues.listAll())) {
            tenantQueues.put(q.tenantId(), new TenantQueue(q.tenantId(), q.weight(), q.cohort(), q.nominal(), q.borrowingLimit()));
        }
        tenantQueues.put(PLATFORM, new TenantQueue(PLATFORM, 1, null, capacity, Map.of()));

        List<Snapshot.Admitted> admitted = new ArrayList<>();
        List<Workload> pending = new ArrayList<>();
        Map<String, JobRecord> jobById = new HashMap<>();
        for (JobRecord j : Blocking.await(jobs.listActive())) {
            jobById.put(j.id(), j);
            Workload w = new Workload(j.id(), j.tenantId(), Workload.Kind.JOB, j.gpuFlavors(), j.gpus(), j.priority(),
                    j.createdAt().toInstant());
            if (j.admittedFlavor() != null) {
                admitted.add(new Snapshot.Admitted(w, j.admittedFlavor(), j.admittedAt().toInstant()));
            } else if (JobRecord.QUEUED.equals(j.status())) {
                pending.add(w);
            }
        }
        Map<String, ModelDeployment> mdByWorkload = new HashMap<>();
        for (ModelDeployment md : deployments.getStore().list()) {
            if (md.getSpec() == null || md.getSpec().getGpu() == null || md.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            int perReplica = md.getSpec().getGpu().getCount() == null ? 0 : md.getSpec().getGpu().getCount();
            int replicas = md.getSpec().getReplicas() == null ? 1 : md.getSpec().getReplicas();
            int wanted = perReplica * replicas;
            int held = admittedGpus(md);
            String id = MD_PREFIX + md.getMetadata().getName();
            mdByWorkload.put(id, md);
            String tenant = md.getSpec().getTenant() == null ? PLATFORM : md.getSpec().getTenant();
            String flavor = md.getSpec().getGpu().getFlavor();
            int priority = priority(md);
            Instant created = md.getMetadata().getCreationTimestamp() == null ? now
                    : OffsetDateTime.parse(md.getMetadata().getCreationTimestamp()).toInstant();
            if (held > 0 && !flavor.equals(annotation(md, ADMITTED_FLAVOR))) {
                setAdmission(md, 0, flavor, null); // moved to another flavor: what it held there goes back
                held = 0;
            } else if (held > wanted) {
                setAdmission(md, wanted, flavor, null); // scaled down: give back at once what it no longer needs
                held = wanted;
            }
            if (held > 0) {
                admitted.add(new Snapshot.Admitted(new Workload(id, tenant, Workload.Kind.SERVING, List.of(flavor), held, priority,
                        created), flavor, admittedAt(md, now)));
            }
            if (wanted > held) {
                pending.add(new Workload(id, tenant, Workload.Kind.SERVING, List.of(flavor), wanted - held, priority, created));
            }
        }

        Decisions d = AdmissionCycle.run(new Snapshot(tenantQueues, capacity, admitted, pending, now));
        OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        for (Decisions.Preemption p : d.preemptions()) {
            String id = p.victim().workload().id();
            if (id.startsWith(MD_PREFIX)) {
                setAdmission(mdByWorkload.get(id), 0, p.victim().flavor(), p.reason().toString());
            } else {
                JobRecord j = jobById.get(id);
                Blocking.await(jobs.preempt(id, j.attempt(), p.reason().toString()));
                LOG.info("job {} preempted: {}", id, p.reason());
            }
        }
        for (Decisions.Admission a : d.admissions()) {
            String id = a.workload().id();
            if (id.startsWith(MD_PREFIX)) {
                ModelDeployment md = mdByWorkload.get(id);
                setAdmission(md, admittedGpus(md) + a.workload().gpus(), a.flavor(), null);
            } else {
                Blocking.await(jobs.admit(id, a.flavor() == null ? CPU : a.flavor(), at, a.flavor() == null ? "admitted (no GPUs)"
                        : "admitted: " + a.workload().gpus() + " " + a.flavor() + " GPU(s)"
                                + (a.borrowing() ? " on quota borrowed from the cohort" : "")));
            }
        }
        d.pending().forEach((id, reason) -> {
            if (id.startsWith(MD_PREFIX)) {
                ModelDeployment md = mdByWorkload.get(id);
                if (!reason.toString().equals(annotation(md, ADMISSION))) {
                    setAdmission(md, admittedGpus(md), md.getSpec().getGpu().getFlavor(), reason.toString());
                }
            } else {
                Blocking.await(jobs.waiting(id, reason.toString()));
            }
        });
        SchedulerMetrics.admissionCycle(System.nanoTime() - started, d);
        afterCycle.run();
    }

    private void setAdmission(ModelDeployment md, int gpus, String flavor, String reason) {
        String now = clock.instant().toString();
        client.resources(ModelDeployment.class).inNamespace(config.namespace()).withName(md.getMetadata().getName()).edit(m -> {
            Map<String, String> a = m.getMetadata().getAnnotations() == null ? new HashMap<>()
                    : new HashMap<>(m.getMetadata().getAnnotations());
            int before = a.containsKey(ADMITTED_GPUS) ? Integer.parseInt(a.get(ADMITTED_GPUS)) : 0;
            a.put(ADMITTED_GPUS, Integer.toString(gpus));
            a.put(ADMITTED_FLAVOR, flavor);
            if (gpus > before) {
                a.put(ADMITTED_AT, now);
            }
            if (reason == null) {
                a.remove(ADMISSION);
            } else {
                a.put(ADMISSION, reason);
            }
            m.getMetadata().setAnnotations(a);
            return m;
        });
    }

    static int admittedGpus(ModelDeployment md) {
        String v = annotation(md, ADMITTED_GPUS);
        try {
            return v == null ? 0 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int priority(ModelDeployment md) {
        String v = annotation(md, PRIORITY);
        try {
            return v == null ? SERVING_PRIORITY : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return SERVING_PRIORITY;
        }
    }

    private static Instant admittedAt(ModelDeployment md, Instant fallback) {
        String v = annotation(md, ADMITTED_AT);
        try {
            return v == null ? fallback : Instant.parse(v);
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    static String annotation(ModelDeployment md, String key) {
        return md.getMetadata().getAnnotations() == null ? null : md.getMetadata().getAnnotations().get(key);
    }

    @Override
    public void close() {
        loop.shutdownNow();
        if (nodes != null) {
            nodes.close();
        }
        if (deployments != null) {
            deployments.close();
        }
    }
}
