package io.lmaas.core.deployments;

/** One replica of a deployment as the scheduler observed it. {@code url} is null until it listens. */
public record ObservedEndpoint(String deploymentId, int replica, EndpointState state, String url, Long pid, int restarts,
        String message) {
}
