package io.lmaas.scheduler.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/** Worker batching overrides (the worker's --max-batch-size / --max-batch-delay-ms). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Batching {
    @Min(1)
    @Max(1024)
    @JsonPropertyDescription("Largest batch (classification) or number of running sequences (generation).")
    private Integer maxBatchSize;

    @Min(0)
    @Max(10000)
    @JsonPropertyDescription("Longest wait for a classification batch to fill, in milliseconds.")
    private Integer maxBatchDelayMs;

    public Integer getMaxBatchSize() {
        return maxBatchSize;
    }

    public void setMaxBatchSize(Integer maxBatchSize) {
        this.maxBatchSize = maxBatchSize;
    }

    public Integer getMaxBatchDelayMs() {
        return maxBatchDelayMs;
    }

    public void setMaxBatchDelayMs(Integer maxBatchDelayMs) {
        this.maxBatchDelayMs = maxBatchDelayMs;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Batching b && Objects.equals(maxBatchSize, b.maxBatchSize)
                && Objects.equals(maxBatchDelayMs, b.maxBatchDelayMs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxBatchSize, maxBatchDelayMs);
    }
}
