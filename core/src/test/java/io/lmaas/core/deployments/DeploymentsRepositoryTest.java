package io.lmaas.core.deployments;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.Pools;
import io.lmaas.core.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeploymentsRepositoryTest {
    private Vertx vertx;
    private Pool pool;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, TestDatabases.fresh(), 4);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void desiredDeploymentsJoinTheirModelVersionAndEnsureIsIdempotent() throws Exception {
        ModelCatalogRepository catalog = new ModelCatalogRepository(pool);
        DeploymentRepository deployments = new DeploymentRepository(pool);
        catalog.register(new ModelRecord("m1", ModelTask.TEXT_CLASSIFICATION, null, "d", null), "1", "file:///models/m1/1")
                .await(10, TimeUnit.SECONDS);
        catalog.register(new ModelRecord("m1", ModelTask.TEXT_CLASSIFICATION, null, "d", null), "1", "file:///other")
                .await(10, TimeUnit.SECONDS);

        String id = deployments.ensure("m1", "1", 2).await(10, TimeUnit.SECONDS);
        assertThat(deployments.ensure("m1", "1", 5).await(10, TimeUnit.SECONDS)).isEqualTo(id);

        List<DesiredDeployment> desired = deployments.listDesired().await(10, TimeUnit.SECONDS);
        assertThat(desired).containsExactly(
                new DesiredDeployment(id, "m1", "1", ModelTask.TEXT_CLASSIFICATION, 2, "file:///models/m1/1"));
    }

    @Test
    void replaceAllKeepsExactlyTheObservedSetAndOnlyReadyOnesRoute() throws Exception {
        new ModelCatalogRepository(pool).register(new ModelRecord("m1", ModelTask.TEXT_GENERATION, null, null, null), "1",
                "file:///m1").await(10, TimeUnit.SECONDS);
        String dep = new DeploymentRepository(pool).ensure("m1", "1", 2).await(10, TimeUnit.SECONDS);
        EndpointRepository endpoints = new EndpointRepository(pool);

        ObservedEndpoint ready = new ObservedEndpoint(dep, 0, EndpointState.READY, "http://127.0.0.1:1", 10L, 0, null);
        ObservedEndpoint starting = new ObservedEndpoint(dep, 1, EndpointState.STARTING, null, 11L, 0, null);
        endpoints.replaceAll(List.of(ready, starting)).await(10, TimeUnit.SECONDS);
        assertThat(endpoints.listAll().await(10, TimeUnit.SECONDS)).containsExactly(ready, starting);
        assertThat(endpoints.listReady().await(10, TimeUnit.SECONDS))
                .containsExactly(new ReadyEndpoint("m1", "1", dep, 0, "http://127.0.0.1:1"));

        ObservedEndpoint failed = new ObservedEndpoint(dep, 0, EndpointState.FAILED, null, null, 1, "worker exited with code 137");
        endpoints.replaceAll(List.of(failed)).await(10, TimeUnit.SECONDS);
        assertThat(endpoints.listAll().await(10, TimeUnit.SECONDS)).containsExactly(failed);
        assertThat(endpoints.listReady().await(10, TimeUnit.SECONDS)).isEmpty();

        endpoints.replaceAll(List.of()).await(10, TimeUnit.SECONDS);
        assertThat(endpoints.listAll().await(10, TimeUnit.SECONDS)).isEmpty();
    }
}
