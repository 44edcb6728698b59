package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import io.lmaas.scheduler.admission.Flavor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** GPU capacity per flavor from the nodes (pure): allocatable {@code nvidia.com/gpu} of ready, schedulable nodes. */
public final class NodeCapacity {
    private NodeCapacity() {
    }

    public static Map<String, Integer> of(List<Node> nodes, Map<String, Flavor> flavors) {
        Map<String, Integer> capacity = new HashMap<>();
        flavors.keySet().forEach(f -> capacity.put(f, 0));
        for (Node n : nodes) {
            if (!usable(n)) {
                continue;
            }
            Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
            Quantity gpus = n.getStatus().getAllocatable() == null ? null : n.getStatus().getAllocatable().get(DesiredObjects.GPU_RESOURCE);
            if (gpus == null) {
                continue;
            }
            int count = gpus.getNumericalAmount().intValue();
            for (Flavor f : flavors.values()) {
                if (f.matches(labels)) {
                    capacity.merge(f.name(), count, Integer::sum);
                }
            }
        }
        return capacity;
    }

    private static boolean usable(Node n) {
        if (n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
            return false;
        }
        if (n.getStatus() == null) {
            return false;
        }
        return n.getStatus().getConditions() == null || n.getStatus().getConditions().stream()
                .noneMatch(c -> "Ready".equals(c.getType()) && !"True".equals(c.getStatus()));
    }
}
