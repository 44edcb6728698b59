package io.lmaas.scheduler.local;

import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import java.nio.file.Path;
import java.time.Instant;

/** One supervised worker process of a deployment, and what the backend knows about it. */
final class Replica {
    final String deploymentId;
    final int index;
    final Path portFile;
    Path modelDir;
    Process process;
    String url;
    EndpointState state = EndpointState.STARTING;
    /** Why the observed state is what it is (last failure), shown to operators. */
    String message;
    /** Set when the backend itself stops the process, so its exit is reported with the real reason. */
    String stopReason;
    int restarts;
    int consecutiveFailures;
    int failedProbes;
    Instant notBefore = Instant.EPOCH;

    Replica(String deploymentId, int index, Path portFile) {
        this.deploymentId = deploymentId;
        this.index = index;
        this.portFile = portFile;
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    ObservedEndpoint observed() {
        return new ObservedEndpoint(deploymentId, index, state, url, process == null ? null : process.pid(), restarts, message);
    }

    static String key(String deploymentId, int index) {
        return deploymentId + "/" + index;
    }
}
