package io.lmaas.scheduler.k8s;

import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The reconciler's mirror in PostgreSQL: ModelDeployments as deployment rows (id = resource name) and the
 * ready pod endpoints the gateway routes to. Called from the reconciler's own thread, so it waits.
 */
public final class PostgresMirror implements DeploymentMirror {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final DeploymentRepository deployments;
    private final EndpointRepository endpoints;

    public PostgresMirror(DeploymentRepository deployments, EndpointRepository endpoints) {
        this.deployments = deployments;
        this.endpoints = endpoints;
    }

    @Override
    public Optional<ObservedStatus.Problem> register(String name, ModelDeploymentSpec spec) {
        int replicas = spec.getReplicas() == null ? 1 : spec.getReplicas();
        Integer gpus = spec.getGpu() == null ? null : spec.getGpu().getCount();
        String flavor = spec.getGpu() == null ? null : spec.getGpu().getFlavor();
        return switch (await(deployments.record(name, spec.getModel(), spec.getVersion(), replicas, spec.getTenant(), gpus, flavor))) {
            case OK -> Optional.empty();
            case UNKNOWN_MODEL_VERSION -> Optional.of(new ObservedStatus.Problem("UnknownModelVersion", "model '"
                    + spec.getModel() + "' has no registered version '" + spec.getVersion() + "'"));
            case UNKNOWN_TENANT -> Optional.of(new ObservedStatus.Problem("UnknownTenant", "no tenant '" + spec.getTenant() + "'"));
        };
    }

    @Override
    public void unregister(String name) {
        await(deployments.remove(name));
    }

    @Override
    public void publish(List<ObservedEndpoint> observed) {
        await(endpoints.replaceAll(observed));
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("PostgreSQL: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("PostgreSQL did not answer within " + TIMEOUT.toSeconds() + " s", e);
        }
    }
}
