package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.crd.ModelDeploymentStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A ModelDeployment's status and endpoints from what its pods show (pure). Conditions follow Kubernetes
 * conventions: {@code Ready}, {@code Progressing}, {@code Degraded}, each with a PascalCase reason and a
 * {@code lastTransitionTime} that moves only when the condition's status changes.
 */
public final class ObservedStatus {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    private ObservedStatus() {
    }

    /** A spec the reconciler could not realise: its reason and message become the Degraded condition. */
    public record Problem(String reason, String message) {
    }

    public static ModelDeploymentStatus status(ModelDeployment md, List<Pod> pods, Problem problem, Instant now) {
        return status(md, pods, problem, null, now);
    }

    /** As above; {@code waitingForGpus} (an admission reason, or null) explains replicas held back by GPU admission. */
    public static ModelDeploymentStatus status(ModelDeployment md, List<Pod> pods, Problem problem, String waitingForGpus,
            Instant now) {
        int desired = md.getSpec().getReplicas() == null ? 1 : md.getSpec().getReplicas();
        List<Pod> live = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
        int ready = (int) live.stream().filter(ObservedStatus::isReady).count();
        Optional<Problem> trouble = Optional.ofNullable(problem).or(() -> podProblem(live));
        ModelDeploymentStatus previous = md.getStatus();
        long generation = md.getMetadata().getGeneration() == null ? 0 : md.getMetadata().getGeneration();

        List<Condition> conditions = new ArrayList<>();
        if (desired == 0) {
            conditions.add(condition(READY, false, "ScaledToZero", "no replicas requested", generation));
        } else if (ready >= desired) {
            conditions.add(condition(READY, true, "AllReplicasReady", ready + "/" + desired + " replicas ready", generation));
        } else {
            conditions.add(condition(READY, false, "ReplicasNotReady", ready + "/" + desired + " replicas ready", generation));
        }
        if (problem != null) {
            conditions.add(condition(PROGRESSING, false, problem.reason(), problem.message(), generation));
        } else if (waitingForGpus != null) {
            conditions.add(condition(PROGRESSING, true, "WaitingForGpus", waitingForGpus, generation));
        } else if (ready < desired) {
            conditions.add(condition(PROGRESSING, true, "ReplicasStarting", "waiting for " + (desired - ready)
                    + " replica(s) to become ready", generation));
        } else if (live.size() > desired) {
            conditions.add(condition(PROGRESSING, true, "ScalingDown", (live.size() - desired) + " replica(s) stopping",
                    generation));
        } else {
            conditions.add(condition(PROGRESSING, false, "Complete", "the deployment is as specified", generation));
        }
        conditions.add(trouble.map(t -> condition(DEGRADED, true, t.reason(), t.message(), generation))
                .orElseGet(() -> condition(DEGRADED, false, "AsExpected", "no problem observed", generation)));
        for (Condition c : conditions) {
            c.setLastTransitionTime(previous == null ? now.toString() : previous.getConditions().stream()
                    .filter(p -> p.getType().equals(c.getType()) && p.getStatus().equals(c.getStatus()))
                    .map(Condition::getLastTransitionTime).findFirst().orElse(now.toString()));
        }

        ModelDeploymentStatus s = new ModelDeploymentStatus();
        s.setObservedGeneration(generation);
        s.setReplicas(desired);
        s.setReadyReplicas(ready);
        s.setReady(ready + "/" + desired);
        s.setEndpoint(problem == null ? DesiredObjects.endpoint(md.getMetadata().getName(), md.getMetadata().getNamespace()) : null);
        s.setConditions(conditions);
        return s;
    }

    /** The endpoints the gateway may route to: one per live pod, ready ones with their pod IP. */
    public static List<ObservedEndpoint> endpoints(String deploymentId, List<Pod> pods) {
        List<Pod> live = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
        List<ObservedEndpoint> out = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            Pod p = live.get(i);
            boolean ready = isReady(p) && p.getStatus().getPodIP() != null;
            Optional<Problem> problem = podProblem(List.of(p));
            EndpointState state = ready ? EndpointState.READY : problem.isPresent() ? EndpointState.FAILED : EndpointState.STARTING;
            out.add(new ObservedEndpoint(deploymentId, i, state,
                    ready ? "http://" + p.getStatus().getPodIP() + ":" + KubernetesConfig.WORKER_PORT : null, null,
                    restarts(p), problem.map(Problem::message).orElse(p.getMetadata().getName())));
        }
        return out;
    }

    /** The two statuses differ in something other than condition timestamps. */
    public static boolean changed(ModelDeploymentStatus before, ModelDeploymentStatus after) {
        return !Objects.equals(before, after);
    }

    static boolean isReady(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static int restarts(Pod p) {
        if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
            return 0;
        }
        return p.getStatus().getContainerStatuses().stream().mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount())
                .sum();
    }

    /** The first problem a pod shows: not schedulable, a missing Secret, image not pulled, crash-looping. */
    public static Optional<Problem> podProblem(List<Pod> pods) {
        for (Pod p : pods) {
            if (p.getStatus() == null) {
                continue;
            }
            if (p.getStatus().getConditions() != null) {
                for (PodCondition c : p.getStatus().getConditions()) {
                    if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                            && "Unschedulable".equals(c.getReason())) {
                        return Optional.of(new Problem("Unschedulable", p.getMetadata().getName() + ": "
                                + Objects.requireNonNullElse(c.getMessage(), "no node fits")));
                    }
                }
            }
            if (p.getStatus().getContainerStatuses() != null) {
                for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
                    if (cs.getState() != null && cs.getState().getWaiting() != null) {
                        String reason = cs.getState().getWaiting().getReason();
                        if ("CrashLoopBackOff".equals(reason)) {
                            return Optional.of(new Problem("CrashLoopBackOff", p.getMetadata().getName() + ": the worker keeps "
                                    + "exiting (" + Objects.requireNonNullElse(cs.getRestartCount(), 0) + " restarts)"));
                        }
                        if ("CreateContainerConfigError".equals(reason)) { // e.g. Secret lmaas-internal not created
                            return Optional.of(new Problem("ConfigError", p.getMetadata().getName() + ": "
                                    + Objects.requireNonNullElse(cs.getState().getWaiting().getMessage(), reason)));
                        }
                        if ("ImagePullBackOff".equals(reason) || "ErrImagePull".equals(reason)) {
                            return Optional.of(new Problem("ImagePullFailed", p.getMetadata().getName() + ": "
                                    + Objects.requireNonNullElse(cs.getState().getWaiting().getMessage(), reason)));
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Condition condition(String type, boolean status, String reason, String message, long generation) {
        return new ConditionBuilder().withType(type).withStatus(status ? "True" : "False").withReason(reason)
                .withMessage(message).withObservedGeneration(generation).build();
    }
}
