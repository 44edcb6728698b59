package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.lmaas.scheduler.admission.Flavor;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import java.util.List;
import java.util.Map;

/** ModelDeployments and configuration for the Kubernetes tests. */
final class TestResources {
    static final String NAMESPACE = "lmaas";

    private TestResources() {
    }

    static KubernetesConfig config() {
        Flavor h100 = new Flavor("h100", Map.of("lmaas.io/gpu", "h100"),
                List.of(new Flavor.Toleration("nvidia.com/gpu", "Exists", null, "NoSchedule")));
        Flavor l4 = new Flavor("l4", Map.of("lmaas.io/gpu", "l4"), List.of());
        return new KubernetesConfig(NAMESPACE, "ghcr.io/lmaas/lmaas:test", "IfNotPresent", "lmaas-artifacts",
                "/var/lib/lmaas/artifacts", Map.of("h100", h100, "l4", l4), "500m", "2Gi", 8000);
    }

    static ModelDeployment modelDeployment(String name, String model, String version, int replicas, GpuRequest gpu) {
        ModelDeployment md = new ModelDeployment();
        md.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).build());
        ModelDeploymentSpec spec = new ModelDeploymentSpec();
        spec.setModel(model);
        spec.setVersion(version);
        spec.setReplicas(replicas);
        spec.setGpu(gpu);
        md.setSpec(spec);
        return md;
    }
}
