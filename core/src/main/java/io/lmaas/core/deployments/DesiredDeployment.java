package io.lmaas.core.deployments;

import io.lmaas.core.catalog.ModelTask;

/** A deployment as the scheduler must realise it: which model version, how many replicas, where its files are. */
public record DesiredDeployment(String id, String modelId, String version, ModelTask task, int replicas, String artifactUri) {
}
