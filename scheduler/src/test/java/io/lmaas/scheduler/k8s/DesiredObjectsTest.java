package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.lmaas.scheduler.k8s.crd.Batching;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import org.junit.jupiter.api.Test;

/** ModelDeployment → Deployment + Service, without a server. */
class DesiredObjectsTest {
    private final KubernetesConfig config = TestResources.config();

    private ModelDeployment md(GpuRequest gpu) {
        ModelDeployment md = TestResources.modelDeployment("sentiment-prod", "sentiment", "3", 2, gpu);
        md.getMetadata().setUid("uid-1");
        md.getSpec().setTenant("tn-acme");
        return md;
    }

    @Test
    void aGpuDeploymentRunsTheWorkerOnItsFlavorWithGpuLimits() {
        Deployment d = DesiredObjects.deployment(md(new GpuRequest(2, "h100")), config);
        assertThat(d.getMetadata().getName()).isEqualTo("lmaas-w-sentiment-prod");
        assertThat(d.getMetadata().getNamespace()).isEqualTo("lmaas");
        assertThat(d.getMetadata().getLabels()).containsEntry("lmaas.io/model", "sentiment")
                .containsEntry("lmaas.io/tenant", "tn-acme").containsEntry("lmaas.io/deployment", "sentiment-prod")
                .containsEntry("app.kubernetes.io/managed-by", "lmaas-scheduler");
        assertThat(d.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("ModelDeployment");
            assertThat(o.getApiVersion()).isEqualTo("lmaas.io/v1alpha1");
            assertThat(o.getUid()).isEqualTo("uid-1");
            assertThat(o.getController()).isTrue();
        });
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(d.getSpec().getSelector().getMatchLabels()).containsExactlyEntriesOf(
                java.util.Map.of("lmaas.io/deployment", "sentiment-prod"));
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getNodeSelector()).containsExactlyEntriesOf(java.util.Map.of("lmaas.io/gpu", "h100"));
        assertThat(pod.getTolerations()).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo("nvidia.com/gpu");
            assertThat(t.getOperator()).isEqualTo("Exists");
        });
        Container c = pod.getContainers().get(0);
        assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("2"));
        assertThat(c.getArgs()).contains("worker", "serve", "--model-dir=/var/lib/lmaas/artifacts/models/sentiment/3",
                "--model-id=sentiment", "--host=0.0.0.0", "--port=8080");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
        assertThat(pod.getVolumes().get(0).getPersistentVolumeClaim().getClaimName()).isEqualTo("lmaas-artifacts");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(13L);
    }

    @Test
    void aCpuDeploymentHasNoGpuNodeSelectorOrLimit() {
        Deployment d = DesiredObjects.deployment(md(null), config);
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getNodeSelector()).isNullOrEmpty();
        assertThat(pod.getTolerations()).isEmpty();
        assertThat(pod.getContainers().get(0).getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(pod.getContainers().get(0).getImage()).isEqualTo("ghcr.io/lmaas/lmaas:test");
        assertThat(pod.getContainers().get(0).getArgs()).contains("--device=cpu");
    }

    @Test
    void aWorkerGivenGpusRunsTheGpuImageAndComputesOnItsGpu() {
        KubernetesConfig gpuImage = new KubernetesConfig(config.namespace(), config.image(), config.imagePullPolicy(),
                config.artifactsClaim(), config.artifactsMountPath(), config.flavors(), config.workerCpu(), config.workerMemory(),
                config.drainTimeoutMs(), "ghcr.io/lmaas/lmaas-gpu:test");
        Container gpu = DesiredObjects.deployment(md(new GpuRequest(1, "h100")), gpuImage).getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertThat(gpu.getImage()).isEqualTo("ghcr.io/lmaas/lmaas-gpu:test");
        assertThat(gpu.getArgs()).contains("--device=gpu").doesNotContain("--device=cpu");
        Container cpu = DesiredObjects.deployment(md(null), gpuImage).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(cpu.getImage()).isEqualTo("ghcr.io/lmaas/lmaas:test");
        // Without a GPU image configured, every worker runs the one image.
        assertThat(config.gpuImage()).isEqualTo(config.image());
    }

    @Test
    void batchingOverridesBecomeWorkerFlags() {
        ModelDeployment md = md(null);
        Batching b = new Batching();
        b.setMaxBatchSize(64);
        b.setMaxBatchDelayMs(3);
        md.getSpec().setBatching(b);
        assertThat(DesiredObjects.deployment(md, config).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .contains("--batch-size=64", "--batch-delay-ms=3");
    }

    @Test
    void anUnknownFlavorIsAnInvalidSpecWithAReason() {
        assertThatThrownBy(() -> DesiredObjects.deployment(md(new GpuRequest(1, "a100")), config))
                .isInstanceOf(DesiredObjects.InvalidSpec.class)
                .satisfies(e -> assertThat(((DesiredObjects.InvalidSpec) e).reason()).isEqualTo("UnknownGpuFlavor"))
                .hasMessageContaining("a100");
    }

    @Test
    void theServiceSelectsTheDeploymentsPods() {
        Service s = DesiredObjects.service(md(null));
        assertThat(s.getMetadata().getName()).isEqualTo("lmaas-w-sentiment-prod");
        assertThat(s.getSpec().getSelector()).containsExactlyEntriesOf(java.util.Map.of("lmaas.io/deployment", "sentiment-prod"));
        assertThat(s.getSpec().getPorts().get(0).getPort()).isEqualTo(8080);
        assertThat(DesiredObjects.endpoint("sentiment-prod", "lmaas")).isEqualTo("http://lmaas-w-sentiment-prod.lmaas.svc:8080");
    }

    @Test
    void theSpecHashChangesWithTheSpecAndOnlyWithIt() {
        String a = DesiredObjects.hashOf(DesiredObjects.deployment(md(null), config));
        String same = DesiredObjects.hashOf(DesiredObjects.deployment(md(null), config));
        ModelDeployment scaled = md(null);
        scaled.getSpec().setReplicas(5);
        String b = DesiredObjects.hashOf(DesiredObjects.deployment(scaled, config));
        assertThat(a).isEqualTo(same).isNotEqualTo(b).hasSize(24);
    }

    @Test
    void workerAndJobPodsRunRestrictedOnAReadOnlyRootAndOnlyWorkersGetTheInternalToken() {
        PodSpec worker = DesiredObjects.deployment(md(null), config).getSpec().getTemplate().getSpec();
        io.lmaas.core.jobs.JobRecord record = new io.lmaas.core.jobs.JobRecord("job-1", "tn-acme", "fine_tuning", "admitted", null,
                0, java.util.List.of(), 0, null, null, 0, null, new io.vertx.core.json.JsonObject(), null, null);
        PodSpec job = io.lmaas.scheduler.k8s.jobs.JobSpecs.job(record, null, config).getSpec().getTemplate().getSpec();
        for (PodSpec pod : java.util.List.of(worker, job)) {
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();
            Container c = pod.getContainers().get(0);
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(c.getVolumeMounts()).anySatisfy(m -> {
                assertThat(m.getMountPath()).isEqualTo("/tmp");
                assertThat(pod.getVolumes()).anySatisfy(v -> {
                    assertThat(v.getName()).isEqualTo(m.getName());
                    assertThat(v.getEmptyDir()).isNotNull();
                });
            });
            assertThat(c.getEnv()).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo("DJL_CACHE_DIR");
                assertThat(e.getValue()).startsWith("/tmp/");
            });
        }
        Container w = worker.getContainers().get(0);
        assertThat(w.getEnv()).filteredOn(e -> e.getName().equals("LMAAS_WORKER_TOKEN")).singleElement().satisfies(e -> {
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("lmaas-internal");
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("worker-token");
        });
        assertThat(w.getArgs()).noneMatch(a -> a.contains("token"));
        assertThat(w.getEnv()).filteredOn(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).singleElement()
                .satisfies(e -> assertThat(e.getValue()).isEqualTo("-XX:TrimNativeHeapInterval=1000"));
        assertThat(w.getStartupProbe().getTcpSocket()).as("/metrics needs the token now").isNotNull();
        assertThat(job.getContainers().get(0).getEnv()).noneMatch(e -> e.getName().equals("LMAAS_WORKER_TOKEN"));
    }
}
