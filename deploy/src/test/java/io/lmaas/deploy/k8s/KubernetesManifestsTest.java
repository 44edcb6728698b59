package io.lmaas.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.jobs.GpuQueueRecord;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.scheduler.admission.Flavor;
import io.lmaas.scheduler.k8s.KubernetesConfig;
import io.lmaas.scheduler.k8s.KubernetesScheduler;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s: every overlay renders with {@code kubectl kustomize} into objects fabric8 parses; the
 * committed CRD is the one the build generates from the Java types; and the scheduler's RBAC grants exactly
 * what the scheduler calls — recorded from the requests it makes on the mock API server through a whole
 * scenario (leader election, API and kubectl deployments, GPU admission, jobs, preemption, deletion).
 */
class KubernetesManifestsTest {
    private static final Path K8S = Path.of("k8s");
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");
    private static final String PROBE = "lmaas-rbac-probe";

    static List<HasMetadata> render(String overlay) throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve("overlays").resolve(overlay).toString())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as(new String(out, StandardCharsets.UTF_8)).isZero();
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : new String(out, StandardCharsets.UTF_8).split("(?m)^---$")) {
            if (!doc.isBlank()) {
                objects.add(new KubernetesSerialization().unmarshal(doc));
            }
        }
        return objects;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyOverlayRendersIntoTypedObjects(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        assertThat(objects).isNotEmpty().allSatisfy(o -> {
            if (!"ServiceMonitor".equals(o.getKind())) { // the Prometheus Operator's kind: fabric8 has no type for it
                assertThat(o).as(o.getKind() + " " + o.getMetadata().getName()).isNotInstanceOf(GenericKubernetesResource.class);
            }
            if (!"Namespace".equals(o.getKind()) && !o.getKind().startsWith("Cluster") && !"CustomResourceDefinition".equals(o.getKind())) {
                assertThat(o.getMetadata().getNamespace()).as(o.getKind() + " " + o.getMetadata().getName()).isEqualTo("lmaas");
            }
        });
        Deployment scheduler = (Deployment) objects.stream().filter(o -> o instanceof Deployment && "lmaas-scheduler".equals(
                o.getMetadata().getName())).findFirst().orElseThrow();
        var container = scheduler.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getEnv().stream().filter(e -> e.getName().equals("LMAAS_IMAGE")).findFirst().orElseThrow().getValue())
                .as("workers run the scheduler's own image").isEqualTo(container.getImage()).startsWith("ghcr.io/lmaas/lmaas:");
        assertThat(container.getEnv().stream().filter(e -> e.getName().equals("LMAAS_GPU_IMAGE")).findFirst().orElseThrow()
                .getValue()).as("workers given GPUs run the CUDA build").startsWith("ghcr.io/lmaas/lmaas-gpu:");
        assertThat(scheduler.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("lmaas-scheduler");
        // Prometheus scrapes every role, each /metrics with its bearer token from a Secret.
        assertThat(objects.stream().filter(o -> "ServiceMonitor".equals(o.getKind())).map(o -> (GenericKubernetesResource) o))
                .extracting(o -> o.getMetadata().getName(), o -> o.get("spec", "endpoints", 0, "bearerTokenSecret", "key"))
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("lmaas-gateway", "worker-token"),
                        org.assertj.core.groups.Tuple.tuple("lmaas-scheduler", "metrics-token"),
                        org.assertj.core.groups.Tuple.tuple("lmaas-workers", "worker-token"));
        assertThat(container.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("LMAAS_METRICS_TOKEN"));
        assertThat(objects).extracting(HasMetadata::getKind).contains("CustomResourceDefinition", "Role", "ClusterRole",
                "ServiceAccount", "PersistentVolumeClaim", "Service", "ConfigMap");
        if (overlay.equals("dev")) {
            assertThat(objects).extracting(o -> o.getMetadata().getName()).contains("lmaas-postgres", "lmaas-keycloak", "lmaas-database");
        } else {
            assertThat(objects).extracting(o -> o.getMetadata().getName()).doesNotContain("lmaas-postgres", "lmaas-keycloak");
        }
    }

    @Test
    void theDevClustersRealmIsTheProjectsRealm() throws Exception {
        assertThat(Files.readString(K8S.resolve("overlays/dev/lmaas-realm.json")))
                .as("deploy/k8s/overlays/dev/lmaas-realm.json must be a copy of deploy/keycloak/lmaas-realm.json")
                .isEqualTo(Files.readString(K8S.resolveSibling("keycloak").resolve("lmaas-realm.json")));
    }

    @Test
    void theCommittedCrdIsTheOneGeneratedFromTheJavaTypes() throws Exception {
        String generated;
        try (InputStream in = ModelDeployment.class.getResourceAsStream("/META-INF/fabric8/modeldeployments.lmaas.io-v1.yml")) {
            generated = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(K8S.resolve("base/crd-modeldeployments.yaml")))
                .as("deploy/k8s/base/crd-modeldeployments.yaml is stale: copy scheduler/target/classes/META-INF/fabric8/"
                        + "modeldeployments.lmaas.io-v1.yml over it")
                .isEqualTo(generated);
    }

    @Test
    void theSchedulersRbacGrantsExactlyWhatItCalls() throws Exception {
        Set<String> granted = new TreeSet<>();
        for (HasMetadata o : render("prod")) {
            List<PolicyRule> rules = o instanceof Role r && r.getMetadata().getName().equals("lmaas-scheduler") ? r.getRules()
                    : o instanceof ClusterRole c && c.getMetadata().getName().equals("lmaas-scheduler-nodes") ? c.getRules() : List.of();
            for (PolicyRule rule : rules) {
                for (String g : rule.getApiGroups()) {
                    for (String res : rule.getResources()) {
                        for (String v : rule.getVerbs()) {
                            granted.add(g + "/" + res + ":" + v);
                        }
                    }
                }
            }
        }
        assertThat(granted).isEqualTo(callsOfAWholeScenario());
    }

    /** Runs the scheduler through a scenario on the mock API server and returns the (group/resource:verb)s it used. */
    private static Set<String> callsOfAWholeScenario() throws Exception {
        MOCK_LOG.setLevel(Level.WARNING);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient harness = server.createClient();
        Config probeConfig = new ConfigBuilder(harness.getConfiguration()).withUserAgent(PROBE).build();
        KubernetesClient probe = new KubernetesClientBuilder().withConfig(probeConfig).build();
        Vertx vertx = Vertx.vertx();
        Pool pool = Pools.create(vertx, TestDatabases.fresh(), 6);
        KubernetesConfig config = new KubernetesConfig("lmaas", "ghcr.io/lmaas/lmaas:test", "IfNotPresent", "lmaas-artifacts",
                "/var/lib/lmaas/artifacts", Map.of("h100", new Flavor("h100", Map.of("gpu", "h100"), List.of())), "1", "1Gi", 5000);
        KubernetesScheduler.Timing fast = new KubernetesScheduler.Timing(Duration.ofSeconds(2), Duration.ofMillis(1500),
                Duration.ofMillis(200), Duration.ofMillis(150));
        KubernetesScheduler first = new KubernetesScheduler(probe, config, pool, Clock.systemUTC(), "probe-1", fast);
        KubernetesScheduler scheduler = new KubernetesScheduler(probe, config, pool, Clock.systemUTC(), "probe-2", fast);
        try (InputStream crd = ModelDeployment.class.getResourceAsStream("/META-INF/fabric8/modeldeployments.lmaas.io-v1.yml")) {
            harness.apiextensions().v1().customResourceDefinitions().load(crd).create();
            harness.nodes().resource(new NodeBuilder().withNewMetadata().withName("gpu-1").withLabels(Map.of("gpu", "h100"))
                    .endMetadata().withNewStatus().withAllocatable(Map.of("nvidia.com/gpu", new Quantity("4"))).endStatus().build())
                    .create();
            pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ('tn-acme', 'acme')").execute().await(5, TimeUnit.SECONDS);
            new GpuQueueRepository(pool).put(new GpuQueueRecord("tn-acme", 1, null, Map.of("h100", 2), Map.of())).await(5, TimeUnit.SECONDS);
            new ModelCatalogRepository(pool).register(new ModelRecord("chat", ModelTask.TEXT_GENERATION, null, null, null), "1",
                    ArtifactStore.uri(Path.of("/var/lib/lmaas/artifacts/models/chat/1"))).await(5, TimeUnit.SECONDS);
            first.start();
            await().atMost(Duration.ofSeconds(20)).until(first::leading);
            scheduler.start();
            // The first replica goes; the second takes the Lease over and does the rest.
            first.close();
            await().atMost(Duration.ofSeconds(20)).until(scheduler::leading);

            // A deployment through the admin API: created, scaled, its Service drifts, then deleted.
            DeploymentRepository api = new DeploymentRepository(pool);
            String id = api.create("chat", "1", 1).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.services().inNamespace("lmaas").withName("lmaas-w-" + id).get() != null);
            api.scale(id, 2).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.apps().deployments().inNamespace("lmaas")
                    .withName("lmaas-w-" + id).get().getSpec().getReplicas() == 2);
            harness.services().inNamespace("lmaas").withName("lmaas-w-" + id).edit(s -> {
                s.getMetadata().getAnnotations().put("lmaas.io/spec-hash", "drifted");
                return s;
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> !"drifted".equals(harness.services().inNamespace("lmaas")
                    .withName("lmaas-w-" + id).get().getMetadata().getAnnotations().get("lmaas.io/spec-hash")));
            api.delete(id).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.apps().deployments().inNamespace("lmaas")
                    .withName("lmaas-w-" + id).get() == null);

            // A job admitted on the tenant's quota; then a GPU deployment made with kubectl preempts it.
            JobRepository jobs = new JobRepository(pool);
            jobs.create("job-1", "tn-acme", "fine_tuning", 0, List.of("h100"), 2, new JsonObject()).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.batch().v1().jobs().inNamespace("lmaas")
                    .withName("lmaas-job-job-1-0").get() != null);
            ModelDeployment md = new ModelDeployment();
            md.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("chat-gpu").withNamespace("lmaas").build());
            ModelDeploymentSpec spec = new ModelDeploymentSpec();
            spec.setModel("chat");
            spec.setVersion("1");
            spec.setReplicas(1);
            spec.setTenant("tn-acme");
            spec.setGpu(new GpuRequest(2, "h100"));
            md.setSpec(spec);
            harness.resource(md).create();
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.batch().v1().jobs().inNamespace("lmaas")
                    .withName("lmaas-job-job-1-0").get() == null);
            jobs.create("job-2", "tn-acme", "batch", 0, List.of(), 0, new JsonObject()).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.batch().v1().jobs().inNamespace("lmaas")
                    .withName("lmaas-job-job-2-0").get() != null);
            var k = harness.batch().v1().jobs().inNamespace("lmaas").withName("lmaas-job-job-2-0").get();
            k.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder().withConditions(new JobConditionBuilder()
                    .withType("Complete").withStatus("True").build()).build());
            harness.batch().v1().jobs().inNamespace("lmaas").resource(k).updateStatus();
            await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(jobs.find("job-2").await(5, TimeUnit.SECONDS).status()));
            harness.resources(ModelDeployment.class).inNamespace("lmaas").withName("chat-gpu").delete();
            await().atMost(Duration.ofSeconds(20)).until(() -> harness.apps().deployments().inNamespace("lmaas")
                    .withName("lmaas-w-chat-gpu").get() == null);
        } finally {
            first.close();
            scheduler.close();
            probe.close();
            pool.close().await(5, TimeUnit.SECONDS);
            vertx.close().await(5, TimeUnit.SECONDS);
        }
        Set<String> calls = new TreeSet<>();
        RecordedRequest r;
        while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            if (PROBE.equals(r.getHeaders().get("User-Agent"))) {
                calls.add(permission(r.getMethod(), r.getPath()));
            }
        }
        harness.close();
        server.destroy();
        return calls;
    }

    /** The RBAC permission an API request needs: {@code group/resource[/subresource]:verb}. */
    static String permission(String method, String pathAndQuery) {
        String path = pathAndQuery.split("\\?")[0];
        boolean watch = pathAndQuery.contains("watch=true");
        List<String> parts = new ArrayList<>(List.of(path.replaceFirst("^/", "").split("/")));
        String group;
        if (parts.get(0).equals("api")) {
            group = "";
            parts = parts.subList(2, parts.size());
        } else {
            group = parts.get(1);
            parts = parts.subList(3, parts.size());
        }
        if (!parts.isEmpty() && parts.get(0).equals("namespaces") && parts.size() > 2) {
            parts = parts.subList(2, parts.size());
        }
        String resource = parts.get(0) + (parts.size() > 2 ? "/" + parts.get(2) : "");
        boolean named = parts.size() > 1;
        String verb = switch (method) {
            case "GET" -> named ? "get" : watch ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method;
        };
        return group + "/" + resource + ":" + verb;
    }

    @Test
    void requestsMapToTheirRbacPermissions() {
        assertThat(permission("GET", "/apis/apps/v1/namespaces/lmaas/deployments?labelSelector=x&watch=true")).isEqualTo("apps/deployments:watch");
        assertThat(permission("GET", "/api/v1/nodes")).isEqualTo("/nodes:list");
        assertThat(permission("PUT", "/apis/lmaas.io/v1alpha1/namespaces/lmaas/modeldeployments/a/status"))
                .isEqualTo("lmaas.io/modeldeployments/status:update");
        assertThat(permission("DELETE", "/api/v1/namespaces/lmaas/services?labelSelector=a")).isEqualTo("/services:deletecollection");
        assertThat(permission("GET", "/apis/coordination.k8s.io/v1/namespaces/lmaas/leases/lmaas-scheduler"))
                .isEqualTo("coordination.k8s.io/leases:get");
    }
}
