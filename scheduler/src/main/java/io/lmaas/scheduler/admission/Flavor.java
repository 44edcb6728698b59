package io.lmaas.scheduler.admission;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A kind of GPU node (e.g. {@code h100}, {@code l4}): the node labels that select it and the taints its
 * workloads must tolerate. Nodes matching {@code nodeSelector} give the flavor its capacity.
 */
public record Flavor(String name, Map<String, String> nodeSelector, List<Toleration> tolerations) {

    public Flavor {
        Objects.requireNonNull(name, "name");
        nodeSelector = Map.copyOf(nodeSelector);
        tolerations = List.copyOf(tolerations);
    }

    /** Whether a node with these labels belongs to this flavor. */
    public boolean matches(Map<String, String> nodeLabels) {
        return nodeSelector.entrySet().stream().allMatch(e -> e.getValue().equals(nodeLabels.get(e.getKey())));
    }

    /** A taint toleration as Kubernetes spells it ({@code operator} Equal or Exists; {@code effect} may be null: all). */
    public record Toleration(String key, String operator, String value, String effect) {
    }
}
