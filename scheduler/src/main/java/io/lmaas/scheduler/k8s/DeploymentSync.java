package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;

/**
 * Writes what the admin API (and so the console) asked for into ModelDeployment resources, so API and
 * {@code kubectl apply} end in the same reconcile. A deployment row whose {@code desired_revision} is ahead
 * of its {@code synced_revision} is created in or written over its resource (named by the row id); a row
 * marked deleting has its resource deleted and then goes. Changes made with kubectl flow the other way,
 * through the reconciler's mirror, which never overwrites an API change not yet synced.
 */
public final class DeploymentSync {
    private final KubernetesClient client;
    private final KubernetesConfig config;
    private final DeploymentRepository deployments;

    public DeploymentSync(KubernetesClient client, KubernetesConfig config, DeploymentRepository deployments) {
        this.client = client;
        this.config = config;
        this.deployments = deployments;
    }

    /** One pass over the rows with unsynced changes; returns how many it wrote. */
    public int syncOnce() {
        int written = 0;
        for (DeploymentRepository.SyncRow row : Blocking.await(deployments.pendingSync())) {
            Resource<ModelDeployment> resource = client.resources(ModelDeployment.class).inNamespace(config.namespace())
                    .withName(row.id());
            ModelDeployment existing = resource.get();
            if (row.deleting()) {
                if (existing != null) {
                    resource.delete();
                }
                Blocking.await(deployments.remove(row.id()));
            } else if (existing == null) {
                ModelDeployment md = new ModelDeployment();
                md.setMetadata(new ObjectMetaBuilder().withName(row.id()).withNamespace(config.namespace())
                        .addToLabels(Labels.MANAGED_BY, "lmaas-api").build());
                md.setSpec(spec(row, new ModelDeploymentSpec()));
                client.resource(md).create();
                Blocking.await(deployments.markSynced(row.id(), row.desiredRevision()));
            } else {
                resource.edit(md -> {
                    md.setSpec(spec(row, md.getSpec() == null ? new ModelDeploymentSpec() : md.getSpec()));
                    return md;
                });
                Blocking.await(deployments.markSynced(row.id(), row.desiredRevision()));
            }
            written++;
        }
        return written;
    }

    private static ModelDeploymentSpec spec(DeploymentRepository.SyncRow row, ModelDeploymentSpec spec) {
        spec.setModel(row.modelId());
        spec.setVersion(row.version());
        spec.setReplicas(row.replicas());
        spec.setTenant(row.tenantId());
        spec.setGpu(row.gpuFlavor() == null ? null : new GpuRequest(row.gpuCount() == null ? 1 : row.gpuCount(), row.gpuFlavor()));
        return spec;
    }

}
