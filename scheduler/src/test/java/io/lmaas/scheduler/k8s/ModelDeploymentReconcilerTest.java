package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ReadyEndpoint;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ModelDeployment reconciler against fabric8's mock API server in CRUD mode and a real PostgreSQL.
 * The mock runs no controllers, so the test plays the Deployment controller and kubelet: it creates the
 * pods and sets their readiness.
 */
class ModelDeploymentReconcilerTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private KubernetesMockServer server;
    private KubernetesClient client;
    private Vertx vertx;
    private Pool pool;
    private EndpointRepository endpoints;
    private ModelDeploymentReconciler reconciler;

    @BeforeEach
    void setUp() throws Exception {
        server = Crds.mockServer();
        client = server.createClient();
        Crds.install(client);
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, TestDatabases.fresh(), 4);
        new ModelCatalogRepository(pool).register(new ModelRecord("sentiment", ModelTask.TEXT_CLASSIFICATION, null, null, null),
                "3", ArtifactStore.uri(Path.of("/var/lib/lmaas/artifacts/models/sentiment/3"))).await(10, TimeUnit.SECONDS);
        endpoints = new EndpointRepository(pool);
        reconciler = start();
    }

    private ModelDeploymentReconciler start() {
        ModelDeploymentReconciler r = new ModelDeploymentReconciler(client, TestResources.config(),
                new PostgresMirror(new DeploymentRepository(pool), endpoints, pool), Clock.systemUTC(), false);
        r.start();
        return r;
    }

    @AfterEach
    void tearDown() throws Exception {
        reconciler.close();
        client.close();
        server.destroy();
        pool.close().await(5, TimeUnit.SECONDS);
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    private ModelDeployment apply(ModelDeployment md) {
        return client.resource(md).create();
    }

    private ModelDeployment current(String name) {
        return client.resources(ModelDeployment.class).inNamespace(TestResources.NAMESPACE).withName(name).get();
    }

    private Deployment worker(String name) {
        return client.apps().deployments().inNamespace(TestResources.NAMESPACE).withName("lmaas-w-" + name).get();
    }

    private Service service(String name) {
        return client.services().inNamespace(TestResources.NAMESPACE).withName("lmaas-w-" + name).get();
    }

    private static String condition(ModelDeployment md, String type) {
        if (md == null || md.getStatus() == null) {
            return null;
        }
        return md.getStatus().getConditions().stream().filter(c -> c.getType().equals(type))
                .map(c -> c.getStatus() + "/" + c.getReason()).findFirst().orElse(null);
    }

    /** What the Deployment controller and kubelet would do: a pod of the deployment, running, ready or not. */
    private void pod(String deployment, int i, boolean ready) {
        Deployment d = worker(deployment);
        Pod pod = new PodBuilder()
                .withMetadata(new ObjectMetaBuilder().withName("lmaas-w-" + deployment + "-" + i).withNamespace(TestResources.NAMESPACE)
                        .withLabels(d.getSpec().getTemplate().getMetadata().getLabels()).build())
                .withSpec(d.getSpec().getTemplate().getSpec())
                .withNewStatus().withPhase("Running").withPodIP("10.0.0." + (10 + i))
                    .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus()
                .build();
        client.pods().inNamespace(TestResources.NAMESPACE).resource(pod).createOr(op -> op.update());
    }

    private List<ReadyEndpoint> ready() throws Exception {
        return endpoints.listReady().await(5, TimeUnit.SECONDS);
    }

    @Test
    void appliedModelDeploymentBecomesWorkersThenReadyWithEndpointsInPostgresThenScalesAndDeletesCleanly() throws Exception {
        apply(TestResources.modelDeployment("sentiment-prod", "sentiment", "3", 2, new GpuRequest(1, "h100")));

        await().atMost(WAIT).until(() -> worker("sentiment-prod") != null && service("sentiment-prod") != null);
        Deployment d = worker("sentiment-prod");
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(d.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo("sentiment-prod"));
        await().atMost(WAIT).until(() -> "False/ReplicasNotReady".equals(condition(current("sentiment-prod"), "Ready")));
        assertThat(condition(current("sentiment-prod"), "Progressing")).isEqualTo("True/ReplicasStarting");

        pod("sentiment-prod", 0, true);
        pod("sentiment-prod", 1, false);
        await().atMost(WAIT).until(() -> ready().size() == 1);
        assertThat(current("sentiment-prod").getStatus().getReady()).isEqualTo("1/2");
        pod("sentiment-prod", 1, true);
        await().atMost(WAIT).until(() -> "True/AllReplicasReady".equals(condition(current("sentiment-prod"), "Ready")));
        ModelDeployment md = current("sentiment-prod");
        assertThat(md.getStatus().getReadyReplicas()).isEqualTo(2);
        assertThat(md.getStatus().getEndpoint()).isEqualTo("http://lmaas-w-sentiment-prod.lmaas.svc:8080");
        assertThat(condition(md, "Degraded")).isEqualTo("False/AsExpected");
        await().atMost(WAIT).until(() -> ready().size() == 2);
        assertThat(ready()).extracting(ReadyEndpoint::modelId).containsOnly("sentiment");
        assertThat(ready()).extracting(ReadyEndpoint::url).containsExactlyInAnyOrder("http://10.0.0.10:8080", "http://10.0.0.11:8080");

        // Scale (as kubectl edit/scale would): the Deployment follows, status says what is missing.
        md.getSpec().setReplicas(3);
        client.resource(md).update();
        await().atMost(WAIT).until(() -> worker("sentiment-prod").getSpec().getReplicas() == 3);
        await().atMost(WAIT).until(() -> "2/3".equals(current("sentiment-prod").getStatus().getReady()));

        // Delete: the worker objects, the deployment row and its endpoints go.
        client.resource(current("sentiment-prod")).delete();
        await().atMost(WAIT).until(() -> worker("sentiment-prod") == null && service("sentiment-prod") == null);
        await().atMost(WAIT).until(() -> endpoints.listAll().await(5, TimeUnit.SECONDS).isEmpty());
        assertThat(pool.query("SELECT count(*) FROM deployments").execute().await(5, TimeUnit.SECONDS).iterator().next()
                .getLong(0)).isZero();
    }

    @Test
    void unknownModelVersionsAndFlavorsAreDegradedWithAReasonAndCreateNothing() {
        apply(TestResources.modelDeployment("ghost", "sentiment", "99", 1, null));
        apply(TestResources.modelDeployment("odd-gpu", "sentiment", "3", 1, new GpuRequest(1, "a100")));
        await().atMost(WAIT).until(() -> "True/UnknownModelVersion".equals(condition(current("ghost"), "Degraded")));
        await().atMost(WAIT).until(() -> "True/UnknownGpuFlavor".equals(condition(current("odd-gpu"), "Degraded")));
        assertThat(current("odd-gpu").getStatus().getConditions().stream().filter(c -> c.getType().equals("Degraded"))
                .findFirst().orElseThrow().getMessage()).contains("a100");
        assertThat(worker("ghost")).isNull();
        assertThat(worker("odd-gpu")).isNull();
    }

    @Test
    void aRestartedSchedulerConvergesOnTheSameObjectsWithoutDuplicates() throws Exception {
        apply(TestResources.modelDeployment("sentiment-prod", "sentiment", "3", 1, null));
        await().atMost(WAIT).until(() -> worker("sentiment-prod") != null && service("sentiment-prod") != null);
        // Crash: the scheduler stops; meanwhile the Service is lost and the Deployment drifts from its spec.
        reconciler.close();
        client.services().inNamespace(TestResources.NAMESPACE).withName("lmaas-w-sentiment-prod").delete();
        Deployment drifted = worker("sentiment-prod");
        drifted.getSpec().setReplicas(7);
        drifted.getMetadata().getAnnotations().put(Labels.SPEC_HASH, "stale");
        client.resource(drifted).update();

        reconciler = start();
        await().atMost(WAIT).until(() -> service("sentiment-prod") != null && worker("sentiment-prod").getSpec().getReplicas() == 1);
        await().atMost(WAIT).until(() -> "False/ReplicasNotReady".equals(condition(current("sentiment-prod"), "Ready")));
        assertThat(client.apps().deployments().inNamespace(TestResources.NAMESPACE).list().getItems()).hasSize(1);
        assertThat(client.services().inNamespace(TestResources.NAMESPACE).list().getItems()).hasSize(1);

        // A second restart with nothing to do changes nothing.
        String version = worker("sentiment-prod").getMetadata().getResourceVersion();
        reconciler.close();
        reconciler = start();
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        assertThat(worker("sentiment-prod").getMetadata().getResourceVersion()).isEqualTo(version);
    }
}
