package io.lmaas.scheduler.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.Objects;

/** What to serve: a registered model version, how many replicas, on which GPUs, for whom. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelDeploymentSpec {
    @Required
    @Pattern("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    @JsonPropertyDescription("Registered model id, as in /v1/models (fine-tuned: ft:<base>:<tenant>:<suffix>:<job>).")
    private String model;

    @Required
    @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    @JsonPropertyDescription("Registered version of the model.")
    private String version;

    @SpecReplicas
    @Min(0)
    @JsonPropertyDescription("Worker replicas (0 keeps the deployment without running it).")
    private Integer replicas = 1;

    @JsonPropertyDescription("GPUs per replica and their flavor; absent: CPU workers.")
    private GpuRequest gpu;

    @JsonPropertyDescription("Batching overrides for the worker (else the version's serving.properties).")
    private Batching batching;

    @Pattern("^tn-[A-Za-z0-9]+$")
    @JsonPropertyDescription("Tenant of a private deployment; its GPUs count against that tenant's quota.")
    private String tenant;

    public String getModel() {
        return model;
    }

    public void setModel(String model) {
        this.model = model;
    }

    public String getVersion() {
        return version;
    }

    public void setVersion(String version) {
        this.version = version;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public GpuRequest getGpu() {
        return gpu;
    }

    public void setGpu(GpuRequest gpu) {
        this.gpu = gpu;
    }

    public Batching getBatching() {
        return batching;
    }

    public void setBatching(Batching batching) {
        this.batching = batching;
    }

    public String getTenant() {
        return tenant;
    }

    public void setTenant(String tenant) {
        this.tenant = tenant;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelDeploymentSpec s && Objects.equals(model, s.model) && Objects.equals(version, s.version)
                && Objects.equals(replicas, s.replicas) && Objects.equals(gpu, s.gpu) && Objects.equals(batching, s.batching)
                && Objects.equals(tenant, s.tenant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, version, replicas, gpu, batching, tenant);
    }
}
