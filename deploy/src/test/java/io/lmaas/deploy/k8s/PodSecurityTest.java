package io.lmaas.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.scheduler.admission.Flavor;
import io.lmaas.scheduler.k8s.DesiredObjects;
import io.lmaas.scheduler.k8s.KubernetesConfig;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import io.lmaas.scheduler.k8s.jobs.JobSpecs;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pod security and internal authentication in what deploy/k8s renders and what the reconciler creates: every
 * pod meets the "restricted" Pod Security Standard (which the namespace enforces), every LMaaS pod runs on a
 * read-only root with a scratch volume, the scheduler and gateway have probes, the gateway a disruption
 * budget, and only gateway pods reach worker pods, with the internal token that the gateway and every worker
 * get from the same Secret.
 */
class PodSecurityTest {
    private static final KubernetesConfig CONFIG = new KubernetesConfig("lmaas", "ghcr.io/lmaas/lmaas:test", "IfNotPresent",
            "lmaas-artifacts", "/var/lib/lmaas/artifacts", Map.of("h100", new Flavor("h100", Map.of("gpu", "h100"), List.of())),
            "1", "4Gi", 30_000);

    /** Every pod template the overlay renders, by kind/name. */
    private static Map<String, PodTemplateSpec> templates(List<HasMetadata> objects) {
        Map<String, PodTemplateSpec> out = new LinkedHashMap<>();
        for (HasMetadata o : objects) {
            PodTemplateSpec t = o instanceof Deployment d ? d.getSpec().getTemplate()
                    : o instanceof StatefulSet s ? s.getSpec().getTemplate()
                    : o instanceof DaemonSet ds ? ds.getSpec().getTemplate()
                    : o instanceof Job j ? j.getSpec().getTemplate()
                    : o instanceof CronJob c ? c.getSpec().getJobTemplate().getSpec().getTemplate() : null;
            if (t != null) {
                out.put(o.getKind() + "/" + o.getMetadata().getName(), t);
            }
        }
        return out;
    }

    /** The reconciler's pods: CPU and GPU worker Deployments, and a job. */
    private static Map<String, PodSpec> reconcilerPods() {
        JobRecord job = new JobRecord("job-1", "tn-acme", "fine_tuning", "admitted", null, 0, List.of("h100"), 1, "h100",
                null, 0, null, new JsonObject(), null, null);
        return Map.of(
                "worker (CPU)", DesiredObjects.deployment(modelDeployment(null), CONFIG).getSpec().getTemplate().getSpec(),
                "worker (GPU)", DesiredObjects.deployment(modelDeployment(new GpuRequest(1, "h100")), CONFIG).getSpec()
                        .getTemplate().getSpec(),
                "job", JobSpecs.job(job, CONFIG.flavor("h100").orElseThrow(), CONFIG).getSpec().getTemplate().getSpec());
    }

    private static ModelDeployment modelDeployment(GpuRequest gpu) {
        ModelDeployment md = new ModelDeployment();
        md.setMetadata(new ObjectMetaBuilder().withName("chat").withNamespace("lmaas").withUid("uid-1").build());
        ModelDeploymentSpec spec = new ModelDeploymentSpec();
        spec.setModel("chat");
        spec.setVersion("1");
        spec.setReplicas(1);
        spec.setTenant("tn-acme");
        spec.setGpu(gpu);
        md.setSpec(spec);
        return md;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyPodMeetsTheRestrictedStandardWhichTheNamespaceEnforces(String overlay) throws Exception {
        List<HasMetadata> objects = KubernetesManifestsTest.render(overlay);
        Namespace ns = (Namespace) objects.stream().filter(o -> o instanceof Namespace).findFirst().orElseThrow();
        assertThat(ns.getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");

        Map<String, PodTemplateSpec> templates = templates(objects);
        assertThat(templates).containsKeys("Deployment/lmaas-gateway", "Deployment/lmaas-scheduler");
        templates.forEach((name, t) -> assertThat(RestrictedPodSecurity.violations(t.getSpec())).as(name).isEmpty());
        reconcilerPods().forEach((name, pod) -> assertThat(RestrictedPodSecurity.violations(pod)).as(name).isEmpty());

        // LMaaS's own pods also run on a read-only root filesystem (third-party dev pods use their images' own).
        templates.entrySet().stream().filter(e -> !e.getKey().contains("postgres") && !e.getKey().contains("keycloak"))
                .forEach(e -> assertThat(RestrictedPodSecurity.readOnlyRootViolations(e.getValue().getSpec()))
                        .as(e.getKey()).isEmpty());
        reconcilerPods().forEach((name, pod) -> assertThat(RestrictedPodSecurity.readOnlyRootViolations(pod)).as(name).isEmpty());
        if (overlay.equals("dev")) {
            assertThat(templates).containsKeys("StatefulSet/lmaas-postgres", "Deployment/lmaas-keycloak");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theSchedulerHasProbesLikeTheGatewayWhichHasADisruptionBudget(String overlay) throws Exception {
        List<HasMetadata> objects = KubernetesManifestsTest.render(overlay);
        Map<String, PodTemplateSpec> templates = templates(objects);
        for (String role : List.of("lmaas-gateway", "lmaas-scheduler")) {
            Container c = templates.get("Deployment/" + role).getSpec().getContainers().get(0);
            assertThat(path(c, c.getReadinessProbe())).as(role + " readiness").isEqualTo("/health/ready");
            assertThat(path(c, c.getLivenessProbe())).as(role + " liveness").isEqualTo("/health/live");
        }
        PodDisruptionBudget pdb = objects.stream().filter(o -> o instanceof PodDisruptionBudget).map(PodDisruptionBudget.class::cast)
                .filter(p -> p.getMetadata().getName().equals("lmaas-gateway")).findFirst().orElseThrow();
        assertThat(templates.get("Deployment/lmaas-gateway").getMetadata().getLabels())
                .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(Optional.ofNullable(pdb.getSpec().getMaxUnavailable()).or(() -> Optional.ofNullable(pdb.getSpec().getMinAvailable())))
                .isPresent();
    }

    /** The probe's HTTP path, after checking it targets a port the container declares. */
    private static String path(Container c, Probe p) {
        assertThat(p).as(c.getName()).isNotNull();
        Object port = p.getHttpGet().getPort().getStrVal() != null ? p.getHttpGet().getPort().getStrVal() : p.getHttpGet().getPort().getIntVal();
        assertThat(c.getPorts()).anyMatch(cp -> port.equals(cp.getName()) || port.equals(cp.getContainerPort()));
        return p.getHttpGet().getPath();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void onlyGatewayPodsReachWorkerPodsAndBothHoldTheSameInternalToken(String overlay) throws Exception {
        List<HasMetadata> objects = KubernetesManifestsTest.render(overlay);
        Map<String, PodTemplateSpec> templates = templates(objects);
        Map<String, String> workerLabels = DesiredObjects.deployment(modelDeployment(null), CONFIG).getSpec().getTemplate()
                .getMetadata().getLabels();
        List<NetworkPolicy> policies = objects.stream().filter(o -> o instanceof NetworkPolicy).map(NetworkPolicy.class::cast)
                .filter(p -> workerLabels.entrySet().containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet()))
                .toList();
        assertThat(policies).singleElement().satisfies(p -> {
            assertThat(p.getSpec().getPolicyTypes()).contains("Ingress");
            NetworkPolicyIngressRule rule = p.getSpec().getIngress().stream().reduce((a, b) -> {
                throw new AssertionError("one ingress rule only");
            }).orElseThrow();
            assertThat(rule.getPorts()).singleElement().satisfies(port ->
                    assertThat(port.getPort().getIntVal()).isEqualTo(KubernetesConfig.WORKER_PORT));
            assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
                assertThat(peer.getNamespaceSelector()).isNull();
                assertThat(peer.getIpBlock()).isNull();
                Map<String, String> from = peer.getPodSelector().getMatchLabels();
                assertThat(templates.get("Deployment/lmaas-gateway").getMetadata().getLabels()).containsAllEntriesOf(from);
                templates.entrySet().stream().filter(e -> !e.getKey().equals("Deployment/lmaas-gateway")).forEach(e ->
                        assertThat(e.getValue().getMetadata().getLabels().entrySet().containsAll(from.entrySet()))
                                .as(e.getKey() + " must not reach workers").isFalse());
            });
        });

        EnvVar gateway = env(templates.get("Deployment/lmaas-gateway").getSpec(), WorkerToken.ENV).orElseThrow();
        EnvVar worker = env(reconcilerPods().get("worker (CPU)"), WorkerToken.ENV).orElseThrow();
        for (EnvVar e : List.of(gateway, worker)) {
            assertThat(e.getValue()).as("from a Secret, never inline").isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(KubernetesConfig.WORKER_TOKEN_SECRET);
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(KubernetesConfig.WORKER_TOKEN_KEY);
        }
        assertThat(env(templates.get("Deployment/lmaas-scheduler").getSpec(), WorkerToken.ENV))
                .as("the scheduler never calls a worker on Kubernetes").isEmpty();
        assertThat(env(reconcilerPods().get("job"), WorkerToken.ENV)).as("a job serves nothing").isEmpty();
        Optional<Secret> secret = objects.stream().filter(o -> o instanceof Secret s
                && s.getMetadata().getName().equals(KubernetesConfig.WORKER_TOKEN_SECRET)).map(Secret.class::cast).findFirst();
        if (overlay.equals("dev")) {
            assertThat(secret).get().satisfies(s -> assertThat(s.getData()).containsKey(KubernetesConfig.WORKER_TOKEN_KEY));
        } else {
            assertThat(secret).as("prod: the operator creates it (see overlays/prod/kustomization.yaml)").isEmpty();
        }
    }

    @org.junit.jupiter.api.Test
    void theCheckCatchesAPodAsTheManifestsUsedToBe() {
        PodSpec bare = new io.fabric8.kubernetes.api.model.PodSpecBuilder().addNewContainer().withName("c").withImage("i")
                .endContainer().addNewVolume().withName("h").withNewHostPath().withPath("/").endHostPath().endVolume().build();
        assertThat(RestrictedPodSecurity.violations(bare)).hasSize(5).anyMatch(v -> v.contains("allowPrivilegeEscalation"))
                .anyMatch(v -> v.contains("runAsNonRoot")).anyMatch(v -> v.contains("seccomp"))
                .anyMatch(v -> v.contains("drop ALL")).anyMatch(v -> v.contains("volume h"));
        assertThat(RestrictedPodSecurity.readOnlyRootViolations(bare)).hasSize(2);
    }

    private static Optional<EnvVar> env(PodSpec pod, String name) {
        return pod.getContainers().stream().flatMap(c -> c.getEnv() == null ? java.util.stream.Stream.empty() : c.getEnv().stream())
                .filter(e -> e.getName().equals(name)).findFirst();
    }
}
