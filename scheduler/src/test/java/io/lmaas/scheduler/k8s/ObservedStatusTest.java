package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObservedStatusTest {

    @Test
    void aWorkerWhoseSecretIsMissingSaysSo() {
        Pod pod = new PodBuilder().withNewMetadata().withName("lmaas-w-chat-1").endMetadata().withNewStatus()
                .addNewContainerStatus().withName("worker").withNewState().withNewWaiting()
                .withReason("CreateContainerConfigError").withMessage("secret \"lmaas-internal\" not found")
                .endWaiting().endState().endContainerStatus().endStatus().build();
        assertThat(ObservedStatus.podProblem(List.of(pod))).hasValueSatisfying(p -> {
            assertThat(p.reason()).isEqualTo("ConfigError");
            assertThat(p.message()).contains("lmaas-internal");
        });
    }
}
