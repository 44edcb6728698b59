package io.lmaas.gateway.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.deployments.ReadyEndpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where a request for an adapter goes among its base's ready replicas. */
class AdapterPlacementTest {
    private static final List<ReadyEndpoint> REPLICAS = List.of(endpoint(0), endpoint(1), endpoint(2), endpoint(3));

    private static ReadyEndpoint endpoint(int replica) {
        return new ReadyEndpoint("qwen", "1", "dep-qwen", replica, "http://10.0.0." + replica + ":8080");
    }

    private static java.util.function.Function<String, Set<String>> at(Map<String, Set<String>> held) {
        return url -> held.getOrDefault(url, Set.of());
    }

    @Test
    void replicasHoldingTheAdapterComeFirstInTheRotationTheyCameIn() {
        Map<String, Set<String>> held = Map.of(endpoint(1).url(), Set.of("lora-a"), endpoint(3).url(), Set.of("lora-a", "lora-b"));
        List<ReadyEndpoint> rotated = List.of(endpoint(2), endpoint(3), endpoint(0), endpoint(1));
        List<ReadyEndpoint> order = AdapterPlacement.order(rotated, "lora-a", at(held));
        assertThat(order.subList(0, 2)).containsExactly(endpoint(3), endpoint(1));
        assertThat(order).containsExactlyInAnyOrderElementsOf(REPLICAS);
        assertThat(AdapterPlacement.order(rotated, "lora-b", at(held)).get(0)).isEqualTo(endpoint(3));
    }

    @Test
    void anAdapterNoReplicaHoldsGoesToTheSameReplicaWhateverTheRotation() {
        List<ReadyEndpoint> first = AdapterPlacement.order(REPLICAS, "lora-new", at(Map.of()));
        for (int shift = 1; shift < REPLICAS.size(); shift++) {
            List<ReadyEndpoint> rotated = new ArrayList<>(REPLICAS);
            Collections.rotate(rotated, shift);
            assertThat(AdapterPlacement.order(rotated, "lora-new", at(Map.of()))).isEqualTo(first);
        }
        // A replica leaving moves only the adapters it was first for (rendezvous hashing).
        List<ReadyEndpoint> without = REPLICAS.stream().filter(e -> !e.equals(first.get(0))).toList();
        assertThat(AdapterPlacement.order(without, "lora-new", at(Map.of()))).isEqualTo(first.subList(1, first.size()));
    }

    @Test
    void manyAdaptersSpreadOverTheReplicas() {
        Map<ReadyEndpoint, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            firsts.merge(AdapterPlacement.order(REPLICAS, "ft:qwen:tenant-" + i, at(Map.of())).get(0), 1, Integer::sum);
        }
        assertThat(firsts).hasSize(4);
        assertThat(firsts.values()).allSatisfy(n -> assertThat(n).isBetween(850, 1150));
    }
}
