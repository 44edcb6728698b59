package io.lmaas.deploy.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.scheduler.k8s.KubernetesConfig;
import io.lmaas.scheduler.k8s.ModelDeploymentReconciler;
import io.lmaas.scheduler.k8s.PostgresMirror;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code lmaas bench reconcile}: from a ModelDeployment applied to the moment its worker Deployment exists,
 * on fabric8's mock API server (CRUD mode) with the real reconciler and its PostgreSQL mirror (embedded).
 * Two runs: one resource at a time (latency of an idle scheduler), and a burst of 100 applied at once.
 * The latency is observed by a watch, as {@code kubectl get -w} would see it.
 */
public final class ReconcileBenchmark {
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    private ReconcileBenchmark() {
    }

    public static void run(int sequential, int burst) throws Exception {
        MOCK_LOG.setLevel(Level.WARNING);
        Path dir = ScratchDirs.create("lmaas-bench-reconcile-");
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesClient client = server.createClient();
        Vertx vertx = Vertx.vertx();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"))) {
            Migrations.migrate(db.url());
            Pool pool = Pools.create(vertx, db.url(), 4);
            new ModelCatalogRepository(pool).register(new ModelRecord("bench", ModelTask.TEXT_CLASSIFICATION, null, null, null), "1",
                    ArtifactStore.uri(dir.resolve("models/bench/1"))).await(10, TimeUnit.SECONDS);
            try (InputStream crd = ModelDeployment.class.getResourceAsStream("/META-INF/fabric8/modeldeployments.lmaas.io-v1.yml")) {
                client.apiextensions().v1().customResourceDefinitions().load(crd).create();
            }
            KubernetesConfig config = new KubernetesConfig("lmaas", "ghcr.io/lmaas/lmaas:bench", "IfNotPresent", "lmaas-artifacts",
                    "/var/lib/lmaas/artifacts", Map.of(), "1", "1Gi", 5000);
            Map<String, Long> created = new ConcurrentHashMap<>();
            SharedIndexInformer<Deployment> watch = client.apps().deployments().inNamespace("lmaas").inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Deployment d) {
                    created.putIfAbsent(d.getMetadata().getName().substring("lmaas-w-".length()), System.nanoTime());
                }

                @Override
                public void onUpdate(Deployment a, Deployment b) {
                }

                @Override
                public void onDelete(Deployment d, boolean unknown) {
                }
            }, 0);
            try (ModelDeploymentReconciler reconciler = new ModelDeploymentReconciler(client, config,
                    new PostgresMirror(new DeploymentRepository(pool), new EndpointRepository(pool), pool), Clock.systemUTC(), false)) {
                reconciler.start();
                for (int i = 0; i < 20; i++) {
                    apply(client, "warm-" + i);
                    await(created, "warm-" + i);
                }
                List<Long> one = new ArrayList<>();
                for (int i = 0; i < sequential; i++) {
                    String name = "seq-" + i;
                    long t0 = System.nanoTime();
                    apply(client, name);
                    one.add(await(created, name) - t0);
                }
                Map<String, Long> applied = new HashMap<>();
                for (int i = 0; i < burst; i++) {
                    applied.put("burst-" + i, System.nanoTime());
                    apply(client, "burst-" + i);
                }
                List<Long> many = new ArrayList<>();
                long burstStart = applied.values().stream().min(Long::compare).orElseThrow();
                long burstEnd = 0;
                for (Map.Entry<String, Long> e : applied.entrySet()) {
                    long at = await(created, e.getKey());
                    many.add(at - e.getValue());
                    burstEnd = Math.max(burstEnd, at);
                }
                one.sort(Long::compare);
                many.sort(Long::compare);
                System.out.printf(Locale.ROOT, "machine: %d cores, %s %s%n", Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.vm.name"), System.getProperty("java.version"));
                System.out.println();
                System.out.println("| ModelDeployment applied → worker Deployment created (mock API server, PostgreSQL mirror) | value |");
                System.out.println("|---|---|");
                row("one at a time (" + sequential + "): p50 / p99 / max", ms(pct(one, 0.5)) + " / " + ms(pct(one, 0.99)) + " / "
                        + ms(one.get(one.size() - 1)));
                row("burst of " + burst + " applied at once: p50 / p99 / max", ms(pct(many, 0.5)) + " / " + ms(pct(many, 0.99))
                        + " / " + ms(many.get(many.size() - 1)));
                row("burst: all " + burst + " created within", ms(burstEnd - burstStart));
            } finally {
                watch.close();
                pool.close().await(5, TimeUnit.SECONDS);
            }
        } finally {
            client.close();
            server.destroy();
            vertx.close().await(5, TimeUnit.SECONDS);
        }
    }

    private static void apply(KubernetesClient client, String name) {
        ModelDeployment md = new ModelDeployment();
        md.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("lmaas").build());
        ModelDeploymentSpec spec = new ModelDeploymentSpec();
        spec.setModel("bench");
        spec.setVersion("1");
        spec.setReplicas(1);
        md.setSpec(spec);
        client.resource(md).create();
    }

    private static long await(Map<String, Long> created, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Long at = created.get(name);
            if (at != null) {
                return at;
            }
            Thread.sleep(0, 200_000);
        }
        throw new IllegalStateException("no Deployment for " + name + " within 30 s");
    }

    private static long pct(List<Long> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    private static void row(String name, String value) {
        System.out.println("| " + name + " | " + value + " |");
    }
}
