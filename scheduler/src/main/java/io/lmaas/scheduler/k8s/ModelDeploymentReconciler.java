package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.scheduler.SchedulerMetrics;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ModelDeployments into worker Deployments and Services. Informers on ModelDeployments and on
 * the objects the scheduler owns (Deployments, Services, Pods labelled {@code managed-by=lmaas-scheduler})
 * queue the ModelDeployment's name; one thread takes names from the {@link WorkQueue} and reconciles the
 * whole desired state of that resource: idempotent (deterministic names, create-or-replace by spec hash),
 * never sleeping inside a reconcile, retried with backoff on failure, status written only when it changed.
 * Deleting a ModelDeployment deletes its objects (owner references do this on a real cluster; doing it
 * too keeps the result the same where no garbage collector runs).
 */
public final class ModelDeploymentReconciler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDeploymentReconciler.class);

    private final KubernetesClient client;
    private final KubernetesConfig config;
    private final DeploymentMirror mirror;
    private final Clock clock;
    private final boolean gpuAdmission;
    private final WorkQueue queue = new WorkQueue();
    private final Map<String, List<ObservedEndpoint>> endpoints = new TreeMap<>();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private List<ObservedEndpoint> published;
    private SharedIndexInformer<ModelDeployment> deployments;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Deployment> workers;
    private SharedIndexInformer<Service> services;
    private Thread loop;
    private volatile boolean running;

    /**
     * @param gpuAdmission whether GPU deployments wait for {@link AdmissionController} (true in production;
     *     false runs every replica the spec asks for)
     */
    public ModelDeploymentReconciler(KubernetesClient client, KubernetesConfig config, DeploymentMirror mirror, Clock clock,
            boolean gpuAdmission) {
        this.client = client;
        this.config = config;
        this.mirror = mirror;
        this.clock = clock;
        this.gpuAdmission = gpuAdmission;
    }

    private MixedOperation<ModelDeployment, ?, Resource<ModelDeployment>> modelDeployments() {
        return client.resources(ModelDeployment.class);
    }

    public void start() {
        String ns = config.namespace();
        deployments = modelDeployments().inNamespace(ns).inform(handler(md -> md.getMetadata().getName()), 60_000);
        workers = client.apps().deployments().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .inform(handler(ModelDeploymentReconciler::owner), 60_000);
        services = client.services().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .inform(handler(ModelDeploymentReconciler::owner), 60_000);
        pods = client.pods().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .inform(handler(ModelDeploymentReconciler::owner), 60_000);
        informers.addAll(List.of(deployments, workers, services, pods));
        SchedulerMetrics.workQueue(queue::size);
        running = true;
        loop = new Thread(this::run, "modeldeployment-reconciler");
        loop.setDaemon(true);
        loop.start();
    }

    /** Queues every ModelDeployment (e.g. after the mirror's data changed). */
    public void requeueAll() {
        if (deployments != null) {
            deployments.getStore().list().forEach(md -> queue.add(md.getMetadata().getName()));
        }
    }

    private static String owner(HasMetadata o) {
        return o.getMetadata().getLabels() == null ? null : o.getMetadata().getLabels().get(Labels.DEPLOYMENT);
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(Function<T, String> key) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                enqueue(key.apply(obj));
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                enqueue(key.apply(newObj));
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                enqueue(key.apply(obj));
            }
        };
    }

    private void enqueue(String name) {
        if (name != null) {
            queue.add(name);
        }
    }

    private void run() {
        while (running) {
            String name;
            try {
                name = queue.take(Duration.ofMillis(500));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (name == null) {
                continue;
            }
            long started = System.nanoTime();
            try {
                reconcile(name);
                queue.done(name);
                SchedulerMetrics.reconciled("model_deployment", true, System.nanoTime() - started);
            } catch (RuntimeException e) {
                SchedulerMetrics.reconciled("model_deployment", false, System.nanoTime() - started);
                Duration delay = queue.retry(name);
                LOG.warn("reconcile of ModelDeployment {} failed (retry in {} ms): {}", name, delay.toMillis(), e.toString());
            }
        }
    }

    /** Drives one ModelDeployment's objects, status and endpoints to what its spec says. */
    void reconcile(String name) {
        String ns = config.namespace();
        ModelDeployment md = deployments.getIndexer().getByKey(ns + "/" + name);
        if (md == null || md.getMetadata().getDeletionTimestamp() != null) {
            client.apps().deployments().inNamespace(ns).withLabel(Labels.DEPLOYMENT, name).delete();
            client.services().inNamespace(ns).withLabel(Labels.DEPLOYMENT, name).delete();
            mirror.unregister(name);
            endpoints.remove(name);
            publish();
            return;
        }
        Optional<ObservedStatus.Problem> problem = mirror.register(name, md.getSpec());
        int desired = md.getSpec().getReplicas() == null ? 1 : md.getSpec().getReplicas();
        int allowed = desired;
        String waiting = null;
        if (gpuAdmission && md.getSpec().getGpu() != null && md.getSpec().getGpu().getCount() != null
                && md.getSpec().getGpu().getCount() > 0) {
            // GPU workers run only as far as admission gave them GPUs (AdmissionController's annotations).
            allowed = Math.min(desired, AdmissionController.admittedGpus(md) / md.getSpec().getGpu().getCount());
            if (allowed < desired) {
                String reason = AdmissionController.annotation(md, AdmissionController.ADMISSION);
                waiting = (desired - allowed) + " replica(s) wait for GPUs" + (reason == null ? "" : ": " + reason);
            }
        }
        if (problem.isEmpty()) {
            try {
                apply(DesiredObjects.deployment(md, config, allowed, mirror.dataKey(md.getSpec())), workers,
                        client.apps().deployments().inNamespace(ns));
                apply(DesiredObjects.service(md), services, client.services().inNamespace(ns));
            } catch (DesiredObjects.InvalidSpec e) {
                problem = Optional.of(new ObservedStatus.Problem(e.reason(), e.getMessage()));
            }
        }
        List<Pod> own = pods.getStore().list().stream().filter(p -> name.equals(owner(p))).toList();
        ModelDeploymentStatus status = ObservedStatus.status(md, own, problem.orElse(null), waiting, clock.instant());
        if (ObservedStatus.changed(md.getStatus(), status)) {
            ModelDeployment update = new ModelDeployment();
            update.setMetadata(md.getMetadata());
            update.setSpec(md.getSpec());
            update.setStatus(status);
            modelDeployments().inNamespace(ns).resource(update).updateStatus();
        }
        endpoints.put(name, problem.isPresent() ? List.of() : ObservedStatus.endpoints(name, own));
        publish();
    }

    /** Creates {@code desired}, or replaces what exists if it was generated from a different spec. */
    private <T extends HasMetadata> void apply(T desired, SharedIndexInformer<T> cache,
            io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<T, ?, ? extends Resource<T>> api) {
        String key = desired.getMetadata().getNamespace() + "/" + desired.getMetadata().getName();
        T existing = cache.getIndexer().getByKey(key);
        if (existing == null) {
            // A 409 here means the cache is behind (it is filled before the first reconcile): the retry finds it.
            api.resource(desired).create();
            return;
        }
        if (!java.util.Objects.equals(DesiredObjects.hashOf(existing), DesiredObjects.hashOf(desired))) {
            desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            api.resource(desired).update();
        }
    }

    private void publish() {
        List<ObservedEndpoint> all = endpoints.values().stream().flatMap(List::stream).toList();
        if (!all.equals(published)) {
            mirror.publish(all);
            published = all;
        }
    }

    @Override
    public void close() {
        running = false;
        if (loop != null) {
            loop.interrupt();
        }
        informers.forEach(SharedIndexInformer::close);
    }
}
