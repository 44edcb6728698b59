package io.lmaas.scheduler.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the scheduler observed: conditions {@code Ready}, {@code Progressing}, {@code Degraded} (PascalCase
 * reasons), replica counts, the in-cluster endpoint, and the spec generation this status describes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelDeploymentStatus {
    private Long observedGeneration;
    @StatusReplicas
    private Integer replicas;
    private Integer readyReplicas;
    @JsonPropertyDescription("readyReplicas/replicas, for kubectl's READY column.")
    private String ready;
    @JsonPropertyDescription("In-cluster URL of the worker Service.")
    private String endpoint;
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public String getReady() {
        return ready;
    }

    public void setReady(String ready) {
        this.ready = ready;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelDeploymentStatus s && Objects.equals(observedGeneration, s.observedGeneration)
                && Objects.equals(replicas, s.replicas) && Objects.equals(readyReplicas, s.readyReplicas)
                && Objects.equals(ready, s.ready) && Objects.equals(endpoint, s.endpoint)
                && Objects.equals(conditions, s.conditions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, replicas, readyReplicas, ready, endpoint, conditions);
    }
}
