package io.lmaas.scheduler.k8s;

import io.lmaas.scheduler.admission.Flavor;
import java.util.Map;
import java.util.Optional;

/**
 * How the scheduler runs workers on Kubernetes: the namespace it owns, the one LMaaS image, the shared
 * artifact volume (a PersistentVolumeClaim mounted at the same path in gateway, scheduler and workers, so
 * artifact paths in PostgreSQL are valid everywhere), GPU flavors, and the worker's CPU/memory requests.
 *
 * @param gpuImage the image of workers that get a GPU: the CUDA build of the worker ({@code deploy/Dockerfile.gpu});
 *     the CPU image's libtorch cannot use a GPU, and such a worker is refused at start rather than served on the CPU
 */
public record KubernetesConfig(String namespace, String image, String imagePullPolicy, String artifactsClaim,
        String artifactsMountPath, Map<String, Flavor> flavors, String workerCpu, String workerMemory,
        long drainTimeoutMs, String gpuImage) {
    public static final int WORKER_PORT = 8080;
    /** The Secret (and its key) holding the workers' internal token: created by the operator (deploy/k8s). */
    public static final String WORKER_TOKEN_SECRET = "lmaas-internal";
    public static final String WORKER_TOKEN_KEY = "worker-token";
    /** The Secret holding the master key ({@code master-key}, and {@code previous} during a rotation). */
    public static final String MASTER_KEY_SECRET = "lmaas-master-key";

    public KubernetesConfig {
        flavors = Map.copyOf(flavors);
    }

    /** One image for every worker (GPU workers too: set {@code gpuImage} to serve on the GPUs they get). */
    public KubernetesConfig(String namespace, String image, String imagePullPolicy, String artifactsClaim,
            String artifactsMountPath, Map<String, Flavor> flavors, String workerCpu, String workerMemory, long drainTimeoutMs) {
        this(namespace, image, imagePullPolicy, artifactsClaim, artifactsMountPath, flavors, workerCpu, workerMemory,
                drainTimeoutMs, image);
    }

    public Optional<Flavor> flavor(String name) {
        return Optional.ofNullable(flavors.get(name));
    }

    /** Where a model version lies inside the worker's container (ArtifactStore's layout under the mount). */
    public String modelDir(String model, String version) {
        return modelsDir() + "/" + model + "/" + version;
    }

    /** Where every model's versions (and so every adapter's) are mounted in a worker pod. */
    public String modelsDir() {
        return artifactsMountPath + "/models";
    }
}
