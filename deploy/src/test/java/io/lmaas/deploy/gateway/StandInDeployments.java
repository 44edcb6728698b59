package io.lmaas.deploy.gateway;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What gateway-process tests need in PostgreSQL: models ("gen" generates, others classify), each deployed, ready on a stand-in worker. */
final class StandInDeployments {
    private StandInDeployments() {
    }

    static void register(Pool pool, StandInWorker worker, String... models) throws Exception {
        for (String model : models) {
            new ModelCatalogRepository(pool).register(new ModelRecord(model, model.equals("gen") ? ModelTask.TEXT_GENERATION
                    : ModelTask.TEXT_CLASSIFICATION, null, null, null), "1", "file:///m").await(10, TimeUnit.SECONDS);
            new DeploymentRepository(pool).ensure(model, "1", 1).await(10, TimeUnit.SECONDS);
        }
        List<ObservedEndpoint> endpoints = new ArrayList<>();
        new DeploymentRepository(pool).listDesired().await(10, TimeUnit.SECONDS)
                .forEach(d -> endpoints.add(new ObservedEndpoint(d.id(), 0, EndpointState.READY, worker.url(), null, 0, null)));
        new EndpointRepository(pool).replaceAll(endpoints).await(10, TimeUnit.SECONDS);
    }
}
