package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.scheduler.admission.Flavor;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import io.lmaas.scheduler.local.LocalBackendConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kubernetes objects a {@link ModelDeployment} stands for (pure: no client, no I/O): a Deployment of
 * worker pods and a ClusterIP Service in front of them, both named {@code lmaas-w-<name>}, labelled for
 * the model and tenant, owned by the ModelDeployment (deleting it cascades), and annotated with the hash
 * of what they were generated from so the reconciler replaces them only when that changes. Worker pods run
 * under {@link PodSecurity} and get the internal token every worker requires from its Secret.
 */
public final class DesiredObjects {
    public static final String PREFIX = "lmaas-w-";
    public static final String GPU_RESOURCE = "nvidia.com/gpu";

    private DesiredObjects() {
    }

    public static String workerName(String deployment) {
        return PREFIX + deployment;
    }

    /** In-cluster URL of a deployment's Service. */
    public static String endpoint(String deployment, String namespace) {
        return "http://" + workerName(deployment) + "." + namespace + ".svc:" + KubernetesConfig.WORKER_PORT;
    }

    /** Thrown when a spec cannot be realised as written (unknown GPU flavor): reported in status, not retried. */
    public static final class InvalidSpec extends RuntimeException {
        private final String reason;

        public InvalidSpec(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    public static Deployment deployment(ModelDeployment md, KubernetesConfig config) {
        return deployment(md, config, md.getSpec().getReplicas() == null ? 1 : md.getSpec().getReplicas(), Optional.empty());
    }

    /**
     * As above with {@code replicas} pods (fewer than the spec's while GPU admission holds some back); a tenant's
     * sealed model comes with its wrapped {@code dataKey}, which the pods get in {@value WrappedKey#ENV} (only the
     * master key in the pods' Secret opens it; a rewrap changes it, and the pods are replaced like on any change).
     */
    public static Deployment deployment(ModelDeployment md, KubernetesConfig config, int replicas, Optional<WrappedKey> dataKey) {
        ModelDeploymentSpec spec = md.getSpec();
        String name = md.getMetadata().getName();
        Map<String, String> labels = Labels.worker(name, spec.getModel(), spec.getTenant());
        GpuRequest gpu = spec.getGpu();
        Flavor flavor = null;
        if (gpu != null) {
            flavor = config.flavor(gpu.getFlavor()).orElseThrow(() -> new InvalidSpec("UnknownGpuFlavor",
                    "GPU flavor '" + gpu.getFlavor() + "' is not configured; known: " + config.flavors().keySet()));
        }
        Map<String, Quantity> requests = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(config.workerCpu()));
        requests.put("memory", new Quantity(config.workerMemory()));
        Map<String, Quantity> limits = new LinkedHashMap<>();
        limits.put("memory", new Quantity(config.workerMemory()));
        boolean gpus = gpu != null && gpu.getCount() != null && gpu.getCount() > 0;
        if (gpus) {
            requests.put(GPU_RESOURCE, new Quantity(Integer.toString(gpu.getCount())));
            limits.put(GPU_RESOURCE, new Quantity(Integer.toString(gpu.getCount())));
        }
        Container worker = new ContainerBuilder()
                .withName("worker")
                .withImage(gpus ? config.gpuImage() : config.image())
                .withImagePullPolicy(config.imagePullPolicy())
                .withArgs(workerArgs(spec, config, gpus))
                .addNewEnv().withName("DJL_OFFLINE").withValue("true").endEnv()
                .addNewEnv().withName("OPT_OUT_TRACKING").withValue("true").endEnv()
                // Two malloc arenas: resident memory stays near what the model needs (docs/benchmarks.md, embeddings).
                .addNewEnv().withName("MALLOC_ARENA_MAX").withValue("2").endEnv()
                .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue(LocalBackendConfig.NATIVE_HEAP_TRIM).endEnv()
                .addAllToEnv(PodSecurity.scratchEnv())
                .addToEnv(PodSecurity.workerToken())
                .addAllToEnv(PodSecurity.masterKeys())
                .addAllToEnv(dataKey.map(k -> List.of(new EnvVar(WrappedKey.ENV, k.toJson().encode(), null))).orElse(List.of()))
                .addNewPort().withName("http").withContainerPort(KubernetesConfig.WORKER_PORT).endPort()
                .withNewReadinessProbe()
                    .withNewHttpGet().withPath("/health").withPort(new IntOrString("http")).endHttpGet()
                    .withPeriodSeconds(2).withFailureThreshold(1)
                .endReadinessProbe()
                // Listening (the model may still be loading); /metrics, which said so before, needs the token now.
                .withNewStartupProbe()
                    .withNewTcpSocket().withPort(new IntOrString("http")).endTcpSocket()
                    .withPeriodSeconds(2).withFailureThreshold(150)
                .endStartupProbe()
                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                .withSecurityContext(PodSecurity.container())
                .addNewVolumeMount().withName("artifacts").withMountPath(config.artifactsMountPath()).withReadOnly(true)
                    .endVolumeMount()
                .addToVolumeMounts(PodSecurity.scratchMount())
                .build();
        Deployment d = new DeploymentBuilder()
                .withNewMetadata()
                    .withName(workerName(name))
                    .withNamespace(md.getMetadata().getNamespace())
                    .withLabels(labels)
                    .withOwnerReferences(owner(md))
                .endMetadata()
                .withNewSpec()
                    .withReplicas(replicas)
                    .withNewSelector().withMatchLabels(Labels.selector(name)).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels).endMetadata()
                        .withNewSpec()
                            .withContainers(worker)
                            .withNodeSelector(flavor == null ? null : flavor.nodeSelector())
                            .withTolerations(flavor == null ? List.of() : tolerations(flavor))
                            .withTerminationGracePeriodSeconds(config.drainTimeoutMs() / 1000 + 5)
                            .withSecurityContext(PodSecurity.pod())
                            .withAutomountServiceAccountToken(false)
                            .addNewVolume().withName("artifacts")
                                .withNewPersistentVolumeClaim().withClaimName(config.artifactsClaim()).withReadOnly(true)
                                .endPersistentVolumeClaim()
                            .endVolume()
                            .addToVolumes(PodSecurity.scratch(PodSecurity.WORKER_SCRATCH))
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
        return withHash(d);
    }

    public static Service service(ModelDeployment md) {
        String name = md.getMetadata().getName();
        ModelDeploymentSpec spec = md.getSpec();
        Service s = new ServiceBuilder()
                .withNewMetadata()
                    .withName(workerName(name))
                    .withNamespace(md.getMetadata().getNamespace())
                    .withLabels(Labels.worker(name, spec.getModel(), spec.getTenant()))
                    .withOwnerReferences(owner(md))
                .endMetadata()
                .withNewSpec()
                    .withType("ClusterIP")
                    .withSelector(Labels.selector(name))
                    .addNewPort().withName("http").withPort(KubernetesConfig.WORKER_PORT)
                        .withTargetPort(new IntOrString("http")).endPort()
                .endSpec()
                .build();
        return withHash(s);
    }

    /** The worker's command line; a pod given GPUs computes on its first one ({@code --device=gpu}), or fails to start. */
    static List<String> workerArgs(ModelDeploymentSpec spec, KubernetesConfig config, boolean gpus) {
        List<String> args = new ArrayList<>(List.of("worker", "serve",
                "--model-dir=" + config.modelDir(spec.getModel(), spec.getVersion()),
                "--model-id=" + spec.getModel(),
                "--adapters-root=" + config.modelsDir(),
                "--host=0.0.0.0",
                "--port=" + KubernetesConfig.WORKER_PORT,
                "--drain-timeout-ms=" + config.drainTimeoutMs(),
                "--device=" + (gpus ? "gpu" : "cpu")));
        if (spec.getBatching() != null) {
            if (spec.getBatching().getMaxBatchSize() != null) {
                args.add("--batch-size=" + spec.getBatching().getMaxBatchSize());
            }
            if (spec.getBatching().getMaxBatchDelayMs() != null) {
                args.add("--batch-delay-ms=" + spec.getBatching().getMaxBatchDelayMs());
            }
        }
        return args;
    }

    static OwnerReference owner(ModelDeployment md) {
        return new OwnerReferenceBuilder()
                .withApiVersion(md.getApiVersion())
                .withKind(md.getKind())
                .withName(md.getMetadata().getName())
                .withUid(md.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    private static List<Toleration> tolerations(Flavor flavor) {
        return flavor.tolerations().stream().map(t -> new TolerationBuilder().withKey(t.key()).withOperator(t.operator())
                .withValue(t.value()).withEffect(t.effect()).build()).toList();
    }

    /** The object with {@link Labels#SPEC_HASH} set to a hash of everything else in it. */
    static <T extends HasMetadata> T withHash(T object) {
        object.getMetadata().setAnnotations(Map.of(Labels.SPEC_HASH, hash(object)));
        return object;
    }

    /** The spec hash an object carries, or null. */
    public static String hashOf(HasMetadata object) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Labels.SPEC_HASH);
    }

    private static String hash(HasMetadata object) {
        try {
            String json = io.fabric8.kubernetes.client.utils.Serialization.asJson(object);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
