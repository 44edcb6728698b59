package io.lmaas.core.deployments;

/** A ready endpoint the gateway may route a model's traffic to. */
public record ReadyEndpoint(String modelId, String version, String deploymentId, int replica, String url) {
}
