package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.crypto.MasterKey;
import io.lmaas.core.crypto.MasterKeys;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.secrets.Secrets;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two scheduler replicas behind a Kubernetes Lease on the mock API server: one acts, the other takes over
 * when it goes; deployments made through the admin API (rows in PostgreSQL) and edits made with kubectl
 * (the resource) end in the same ModelDeployment and the same reconcile.
 */
class KubernetesSchedulerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final KubernetesScheduler.Timing FAST = new KubernetesScheduler.Timing(Duration.ofSeconds(2),
            Duration.ofMillis(1500), Duration.ofMillis(250), Duration.ofMillis(200));

    private KubernetesMockServer server;
    private KubernetesClient client;
    private Vertx vertx;
    private Pool pool;
    private KubernetesScheduler a;
    private KubernetesScheduler b;

    @BeforeEach
    void setUp() throws Exception {
        server = Crds.mockServer();
        client = server.createClient();
        Crds.install(client);
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, TestDatabases.fresh(), 6);
        new ModelCatalogRepository(pool).register(new ModelRecord("chat", ModelTask.TEXT_GENERATION, null, null, null), "1",
                ArtifactStore.uri(Path.of("/var/lib/lmaas/artifacts/models/chat/1"))).await(10, TimeUnit.SECONDS);
        a = new KubernetesScheduler(server.createClient(), TestResources.config(), pool, Clock.systemUTC(), "scheduler-a", FAST);
        b = new KubernetesScheduler(server.createClient(), TestResources.config(), pool, Clock.systemUTC(), "scheduler-b", FAST);
        a.start();
        b.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        a.close();
        b.close();
        client.close();
        server.destroy();
        pool.close().await(5, TimeUnit.SECONDS);
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    private ModelDeployment md(String name) {
        return client.resources(ModelDeployment.class).inNamespace(TestResources.NAMESPACE).withName(name).get();
    }

    private Deployment worker(String name) {
        return client.apps().deployments().inNamespace(TestResources.NAMESPACE).withName("lmaas-w-" + name).get();
    }

    private Integer rowReplicas(String id) throws Exception {
        var rows = pool.preparedQuery("SELECT replicas FROM deployments WHERE id = $1").execute(Tuple.of(id)).await(5, TimeUnit.SECONDS);
        return rows.size() == 0 ? null : rows.iterator().next().getInteger("replicas");
    }

    @Test
    void oneReplicaLeadsAndApiAndKubectlChangesMeetInTheSameResource() throws Exception {
        await().atMost(WAIT).until(() -> a.leading() ^ b.leading());
        KubernetesScheduler leader = a.leading() ? a : b;
        KubernetesScheduler follower = leader == a ? b : a;

        DeploymentRepository api = new DeploymentRepository(pool);
        String id = api.create("chat", "1", 1).await(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> md(id) != null && worker(id) != null);
        assertThat(md(id).getSpec().getModel()).isEqualTo("chat");

        api.scale(id, 3).await(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> worker(id).getSpec().getReplicas() == 3);

        // kubectl scale: the resource changes; PostgreSQL follows, and the API's older value is not pushed back.
        // (kubectl's update is optimistic too: on a 409 — the scheduler wrote status meanwhile — it reads again.)
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            ModelDeployment edited = md(id);
            edited.getSpec().setReplicas(2);
            client.resource(edited).update();
            return true;
        });
        await().atMost(WAIT).until(() -> Integer.valueOf(2).equals(rowReplicas(id)) && worker(id).getSpec().getReplicas() == 2);
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        assertThat(md(id).getSpec().getReplicas()).isEqualTo(2);

        // The leader goes: the other replica takes over and carries on.
        leader.close();
        await().atMost(WAIT).until(follower::leading);
        api.scale(id, 1).await(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> worker(id).getSpec().getReplicas() == 1);

        // Deleted through the API: resource, workers and row go.
        assertThat(api.delete(id).await(5, TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).until(() -> md(id) == null && worker(id) == null && rowReplicas(id) == null);
        List<Row> left = new java.util.ArrayList<>();
        pool.query("SELECT id FROM deployments").execute().await(5, TimeUnit.SECONDS).forEach(left::add);
        assertThat(left).isEmpty();
    }

    /** The value of {@code name} in the worker pods' environment, if they have it. */
    private Optional<String> workerEnv(String deployment, String name) {
        return worker(deployment).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst();
    }

    @Test
    void aTenantsSealedModelsWorkersGetItsWrappedDataKeyAndAPlatformModelsDoNot() throws Exception {
        pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ($1, $1)").execute(Tuple.of("tn-acme")).await(5, TimeUnit.SECONDS);
        new ModelCatalogRepository(pool).register(new ModelRecord("ft:chat:tn-acme:support:job-1", ModelTask.TEXT_GENERATION,
                "tn-acme", null, null), "1", ArtifactStore.uri(Path.of("/var/lib/lmaas/artifacts/models/ft/1")))
                .await(10, TimeUnit.SECONDS);
        // The gateway made the tenant's key when the job sealed its output; the scheduler holds no master key.
        WrappedKey key = new TenantKeys(pool, new MasterKeys(MasterKey.parse(Secrets.random(32)), List.of()))
                .wrappedOf("tn-acme").await(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> a.leading() ^ b.leading());

        DeploymentRepository api = new DeploymentRepository(pool);
        String tenants = api.create("ft:chat:tn-acme:support:job-1", "1", 1).await(5, TimeUnit.SECONDS);
        String platforms = api.create("chat", "1", 1).await(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> worker(tenants) != null && worker(platforms) != null);

        WrappedKey handed = WrappedKey.fromJson(new JsonObject(workerEnv(tenants, WrappedKey.ENV).orElseThrow()));
        assertThat(handed.id()).isEqualTo(key.id());
        assertThat(handed.tenantId()).isEqualTo("tn-acme");
        assertThat(handed.wrapped()).isEqualTo(key.wrapped());
        assertThat(workerEnv(platforms, WrappedKey.ENV)).isEmpty();
    }
}
