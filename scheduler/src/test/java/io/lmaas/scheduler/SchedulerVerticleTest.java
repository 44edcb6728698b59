package io.lmaas.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.scheduler.local.LocalBackend;
import io.lmaas.scheduler.local.LocalBackendConfig;
import io.lmaas.scheduler.local.ScriptedWorker;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Desired deployments in PostgreSQL become ready endpoints in PostgreSQL, and are cleared at shutdown. */
class SchedulerVerticleTest {

    @Test
    void publishesReadyEndpointsAndFollowsScaling(@TempDir Path tmp) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Pool pool = Pools.create(vertx, TestDatabases.fresh(), 4);
            Path model = Files.createDirectories(tmp.resolve("model"));
            Files.writeString(model.resolve("behaviour"), "ready");
            new ModelCatalogRepository(pool).register(new ModelRecord("m", ModelTask.TEXT_GENERATION, null, null, null), "1",
                    ArtifactStore.uri(model)).await(10, TimeUnit.SECONDS);
            DeploymentRepository deployments = new DeploymentRepository(pool);
            String id = deployments.ensure("m", "1", 1).await(10, TimeUnit.SECONDS);
            EndpointRepository endpoints = new EndpointRepository(pool);
            LocalBackend backend = new LocalBackend(vertx, new LocalBackendConfig(
                    Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path"),
                    ScriptedWorker.class.getName(), List.of("-Xmx64m"), LocalBackendConfig.WORKER_ENVIRONMENT,
                    tmp.resolve("run"), tmp.resolve("logs"), 1, Duration.ofMillis(500), Duration.ofSeconds(2)),
                    Clock.systemUTC());
            String verticle = vertx.deployVerticle(new SchedulerVerticle(deployments, endpoints, backend,
                    Duration.ofMillis(200))).await(10, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(20)).until(() -> endpoints.listReady().await(5, TimeUnit.SECONDS).size() == 1);
            deployments.scale(id, 2).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> endpoints.listReady().await(5, TimeUnit.SECONDS).size() == 2);
            deployments.scale(id, 0).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> endpoints.listAll().await(5, TimeUnit.SECONDS).isEmpty());
            deployments.scale(id, 1).await(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> endpoints.listReady().await(5, TimeUnit.SECONDS).size() == 1);

            vertx.undeploy(verticle).await(20, TimeUnit.SECONDS);
            assertThat(endpoints.listAll().await(5, TimeUnit.SECONDS)).isEmpty();
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
