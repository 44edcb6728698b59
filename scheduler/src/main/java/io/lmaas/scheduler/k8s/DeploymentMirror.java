package io.lmaas.scheduler.k8s;

import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentSpec;
import java.util.List;
import java.util.Optional;

/**
 * Where the reconciler mirrors what it sees for the gateway (PostgreSQL in production): each
 * ModelDeployment as a deployment row, and the ready endpoints of all of them.
 */
public interface DeploymentMirror {

    /** Records the deployment; a problem (e.g. an unregistered model version) instead if it cannot be served. */
    Optional<ObservedStatus.Problem> register(String name, ModelDeploymentSpec spec);

    /**
     * The wrapped data key the model's files are sealed with (a tenant's model), which its worker pods get in
     * {@value WrappedKey#ENV}; empty for a platform model.
     */
    default Optional<WrappedKey> dataKey(ModelDeploymentSpec spec) {
        return Optional.empty();
    }

    /** The deployment is gone (its endpoints go with it). */
    void unregister(String name);

    /** Replaces the published endpoints with these (every deployment's). */
    void publish(List<ObservedEndpoint> endpoints);
}
