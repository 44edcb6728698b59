package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The reconciler against a real cluster (K3s in Docker), where a real Deployment controller, kubelet and
 * garbage collector run: the worker Deployment and Service appear, real pods are created and — with an
 * image no registry has — the ModelDeployment reports {@code Degraded/ImagePullFailed}; deletion cascades.
 * Runs where Docker exists (developers' machines, public CI); skipped elsewhere, where the mock-server
 * tests ({@link ModelDeploymentReconcilerTest}) cover the same reconciler.
 */
@EnabledIf("dockerAvailable")
class ModelDeploymentOnK3sTest {

    static boolean dockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    @Test
    void aModelDeploymentBecomesRealPodsAndSaysWhyTheyDoNotStart() throws Exception {
        try (K3sContainer k3s = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"))) {
            k3s.start();
            Vertx vertx = Vertx.vertx();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build()) {
                Crds.install(client);
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(TestResources.NAMESPACE).endMetadata()
                        .build()).create();
                client.apiextensions().v1().customResourceDefinitions().withName("modeldeployments.lmaas.io")
                        .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                                .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);
                Pool pool = Pools.create(vertx, TestDatabases.fresh(), 4);
                new ModelCatalogRepository(pool).register(new ModelRecord("sentiment", ModelTask.TEXT_CLASSIFICATION, null, null, null),
                        "3", ArtifactStore.uri(Path.of("/var/lib/lmaas/artifacts/models/sentiment/3"))).await(10, TimeUnit.SECONDS);
                KubernetesConfig config = new KubernetesConfig(TestResources.NAMESPACE, "registry.invalid/lmaas/none:0",
                        "IfNotPresent", "lmaas-artifacts", "/var/lib/lmaas/artifacts", TestResources.config().flavors(), "10m",
                        "64Mi", 1000);
                try (ModelDeploymentReconciler reconciler = new ModelDeploymentReconciler(client, config,
                        new PostgresMirror(new DeploymentRepository(pool), new EndpointRepository(pool), pool), Clock.systemUTC(), false)) {
                    reconciler.start();
                    client.resource(TestResources.modelDeployment("sentiment-prod", "sentiment", "3", 1, null)).create();
                    await().atMost(Duration.ofSeconds(60)).until(() -> client.apps().deployments().inNamespace(TestResources.NAMESPACE)
                            .withName("lmaas-w-sentiment-prod").get() != null && client.services().inNamespace(TestResources.NAMESPACE)
                            .withName("lmaas-w-sentiment-prod").get() != null);
                    // The PVC does not exist here either: the pod is Pending (unschedulable) or fails to pull — both are Degraded.
                    await().atMost(Duration.ofSeconds(180)).until(() -> {
                        ModelDeployment md = client.resources(ModelDeployment.class).inNamespace(TestResources.NAMESPACE)
                                .withName("sentiment-prod").get();
                        return md.getStatus() != null && md.getStatus().getConditions().stream().anyMatch(c ->
                                "Degraded".equals(c.getType()) && "True".equals(c.getStatus()));
                    });
                    client.resources(ModelDeployment.class).inNamespace(TestResources.NAMESPACE).withName("sentiment-prod").delete();
                    await().atMost(Duration.ofSeconds(60)).until(() -> client.apps().deployments().inNamespace(TestResources.NAMESPACE)
                            .withName("lmaas-w-sentiment-prod").get() == null);
                    assertThat(client.services().inNamespace(TestResources.NAMESPACE).withName("lmaas-w-sentiment-prod").get()).isNull();
                } finally {
                    pool.close();
                }
            } finally {
                vertx.close();
            }
        }
    }
}
