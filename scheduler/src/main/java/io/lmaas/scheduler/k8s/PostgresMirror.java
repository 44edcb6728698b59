package io.lmaas.scheduler.k8s;

import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.Optional;

/**
 * The reconciler's mirror in PostgreSQL: ModelDeployments as deployment rows (id = resource name) and the
 * ready pod endpoints the gateway routes to. Called from the reconciler's own thread, so it waits.
 */
public final class PostgresMirror implements DeploymentMirror {
    private final DeploymentRepository deployments;
    private final EndpointRepository endpoints;
    private final SqlClient client;

    public PostgresMirror(DeploymentRepository deployments, EndpointRepository endpoints, SqlClient client) {
        this.deployments = deployments;
        this.endpoints = endpoints;
        this.client = client;
    }

    @Override
    public Optional<ObservedStatus.Problem> register(String name, ModelDeploymentSpec spec) {
        int replicas = spec.getReplicas() == null ? 1 : spec.getReplicas();
        Integer gpus = spec.getGpu() == null ? null : spec.getGpu().getCount();
        String flavor = spec.getGpu() == null ? null : spec.getGpu().getFlavor();
        return switch (Blocking.await(deployments.record(name, spec.getModel(), spec.getVersion(), replicas, spec.getTenant(), gpus, flavor))) {
            case OK -> Optional.empty();
            case UNKNOWN_MODEL_VERSION -> Optional.of(new ObservedStatus.Problem("UnknownModelVersion", "model '"
                    + spec.getModel() + "' has no registered version '" + spec.getVersion() + "'"));
            case UNKNOWN_TENANT -> Optional.of(new ObservedStatus.Problem("UnknownTenant", "no tenant '" + spec.getTenant() + "'"));
        };
    }

    @Override
    public Optional<WrappedKey> dataKey(ModelDeploymentSpec spec) {
        return Optional.ofNullable(Blocking.await(TenantKeys.wrappedOfModel(client, spec.getModel())));
    }

    @Override
    public void unregister(String name) {
        Blocking.await(deployments.remove(name));
    }

    @Override
    public void publish(List<ObservedEndpoint> observed) {
        Blocking.await(endpoints.replaceAll(observed));
    }

}
