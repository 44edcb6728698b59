package io.lmaas.deploy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.lmaas.core.config.Settings;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.ids.Ids;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.scheduler.Scheduler;
import io.lmaas.scheduler.k8s.FlavorsJson;
import io.lmaas.scheduler.k8s.KubernetesConfig;
import io.lmaas.scheduler.k8s.KubernetesScheduler;
import io.lmaas.scheduler.k8s.SchedulerHealth;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * {@code lmaas scheduler}: the scheduler on Kubernetes (in-cluster credentials, or ~/.kube/config), one of
 * any number of replicas of which the Lease holder acts. Settings as flags or {@code LMAAS_*} variables:
 * database URL, namespace, worker image, artifact volume claim and mount path, GPU flavors (JSON, or
 * {@code @file}), worker CPU/memory requests. Its probes answer on {@code --health-port} (8080):
 * {@link SchedulerHealth}, with {@code /metrics} for callers with the metrics token ({@code LMAAS_METRICS_TOKEN}, where set:
 * the scheduler holds no worker token, so it gets a token that grants reading its metrics and nothing else).
 */
final class SchedulerRole {
    private SchedulerRole() {
    }

    static KubernetesConfig config(Settings s) throws java.io.IOException {
        String flavors = s.string("gpu-flavors", "{}");
        if (flavors.startsWith("@")) {
            flavors = Files.readString(Path.of(flavors.substring(1)));
        }
        return new KubernetesConfig(
                s.string("namespace", System.getenv().getOrDefault("POD_NAMESPACE", "lmaas")),
                s.required("image"),
                s.string("image-pull-policy", "IfNotPresent"),
                s.string("artifacts-claim", "lmaas-artifacts"),
                s.string("artifacts-mount", "/var/lib/lmaas/artifacts"),
                FlavorsJson.parse(flavors),
                s.string("worker-cpu", "1"),
                s.string("worker-memory", "4Gi"),
                s.millis("drain-timeout-ms", 30_000).toMillis(),
                s.string("gpu-image", s.required("image")));
    }

    static void run(Settings s) throws Exception {
        KubernetesConfig config = config(s);
        DatabaseUrl database = DatabaseUrl.parse(s.required("database-url"));
        if (s.bool("migrate", false)) {
            Migrations.migrate(database);
        }
        String identity = s.string("identity", System.getenv().getOrDefault("POD_NAME", "scheduler-" + Ids.random(6)));
        Vertx vertx = VertxInstances.create();
        Pool pool = Pools.create(vertx, database, s.integer("pool-size", 8, 1, 128));
        KubernetesClient client = new KubernetesClientBuilder().build();
        Scheduler scheduler = new KubernetesScheduler(client, config, pool, Clock.systemUTC(), identity,
                KubernetesScheduler.Timing.DEFAULT);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            scheduler.close(); // releases the Lease: another replica takes over at once
            client.close();
            vertx.close();
            stopped.countDown();
        }, "scheduler-shutdown"));
        scheduler.start();
        SchedulerHealth.start(vertx, pool, scheduler::electing, s.string("health-host", "0.0.0.0"),
                s.integer("health-port", 8080, 0, 65535), s.optional("metrics-token").map(WorkerToken::requireValid).orElse(null));
        System.out.println("LMaaS scheduler " + identity + " on namespace " + config.namespace() + " (GPU flavors "
                + config.flavors().keySet() + ")");
        stopped.await();
    }
}
