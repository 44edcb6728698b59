package io.lmaas.scheduler.k8s.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** GPUs per replica ({@code nvidia.com/gpu}) of one flavor (a node label set and tolerations, e.g. h100, l4). */
public class GpuRequest {
    @Min(0)
    @JsonPropertyDescription("GPUs per replica.")
    private Integer count = 1;

    @Required
    @Pattern("^[a-z0-9][a-z0-9-]{0,62}$")
    @JsonPropertyDescription("GPU flavor, as configured for the scheduler (node selector and tolerations).")
    private String flavor;

    public GpuRequest() {
    }

    public GpuRequest(int count, String flavor) {
        this.count = count;
        this.flavor = flavor;
    }

    public Integer getCount() {
        return count;
    }

    public void setCount(Integer count) {
        this.count = count;
    }

    public String getFlavor() {
        return flavor;
    }

    public void setFlavor(String flavor) {
        this.flavor = flavor;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GpuRequest g && Objects.equals(count, g.count) && Objects.equals(flavor, g.flavor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(count, flavor);
    }
}
