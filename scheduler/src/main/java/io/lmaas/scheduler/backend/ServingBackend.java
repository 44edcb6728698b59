package io.lmaas.scheduler.backend;

import io.lmaas.core.deployments.DesiredDeployment;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.vertx.core.Future;
import java.util.List;

/**
 * Where serving replicas run. {@code reconcile} is given the whole desired state each time, drives the
 * backend towards it (start, stop, restart) without waiting for anything to become ready, and answers
 * what it observes now. Implementations: local processes; Kubernetes (issue: scheduler on Kubernetes).
 */
public interface ServingBackend extends AutoCloseable {

    Future<List<ObservedEndpoint>> reconcile(List<DesiredDeployment> desired);

    /** Called by the backend when something changed that deserves a reconcile sooner than the next tick. */
    void onChange(Runnable listener);

    @Override
    void close();
}
