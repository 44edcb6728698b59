package io.lmaas.gateway.admin;

import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A deployment's conditions as Kubernetes users read them (pure): {@code Available} when every wanted
 * replica is ready, {@code Progressing} while replicas start, {@code Degraded} when one failed.
 */
final class DeploymentConditions {
    private DeploymentConditions() {
    }

    static JsonArray of(AdminService.DeploymentStatus s) {
        int wanted = s.deployment().replicas();
        List<ObservedEndpoint> eps = s.endpoints();
        long ready = eps.stream().filter(e -> e.state() == EndpointState.READY).count();
        long starting = eps.stream().filter(e -> e.state() == EndpointState.STARTING).count();
        List<ObservedEndpoint> failed = eps.stream().filter(e -> e.state() == EndpointState.FAILED).toList();
        boolean available = ready >= wanted;
        JsonArray out = new JsonArray();
        out.add(condition("Available", available, available ? "MinimumReplicasAvailable" : "ReplicasNotReady",
                ready + " of " + wanted + " replicas ready"));
        boolean progressing = starting > 0 || (!available && failed.isEmpty());
        out.add(condition("Progressing", progressing, progressing ? "ReplicasStarting" : "Settled",
                progressing ? starting + " replica(s) starting" : "no replica is starting"));
        boolean degraded = !failed.isEmpty();
        out.add(condition("Degraded", degraded, degraded ? "ReplicaFailed" : "AsExpected", degraded
                ? "replica " + failed.get(0).replica() + ": " + (failed.get(0).message() == null ? "failed" : failed.get(0).message())
                : "no replica failed"));
        return out;
    }

    private static JsonObject condition(String type, boolean status, String reason, String message) {
        return new JsonObject().put("type", type).put("status", status ? "True" : "False").put("reason", reason).put("message", message);
    }
}
