package io.lmaas.worker.serve;

import ai.djl.util.cuda.CudaUtils;
import io.lmaas.worker.runtime.ComputeDevice;
import io.lmaas.worker.wlm.ServingObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's metrics in Prometheus format ({@code GET /metrics}), all tagged with the model: queue
 * depth, batch size histogram, request latency and time to first result, tokens (rate = tokens/s),
 * rejections; once the model is loaded, the device it computes on ({@code lmaas_worker_device}, value 1), the process's
 * resident memory and, on a GPU, the device memory in use.
 */
public final class WorkerMetrics implements ServingObserver {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger queueDepth = new AtomicInteger();
    private final DistributionSummary batchSize;
    private final Counter tokens;
    private final Counter rejections;
    private final Timer latency;
    private final Timer firstResult;
    private final String model;

    public WorkerMetrics(String model) {
        this.model = model;
        Gauge.builder("lmaas_worker_queue_depth", queueDepth, AtomicInteger::get).tag("model", model)
                .description("requests (generation) or inputs (classification) waiting").register(registry);
        batchSize = DistributionSummary.builder("lmaas_worker_batch_size").tag("model", model)
                .description("sequences or inputs per forward pass").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(256.0).register(registry);
        tokens = Counter.builder("lmaas_worker_tokens").tag("model", model)
                .description("tokens processed (classification inputs) or generated").register(registry);
        rejections = Counter.builder("lmaas_worker_rejections").tag("model", model)
                .description("requests refused because the queue was full or the worker draining").register(registry);
        latency = Timer.builder("lmaas_worker_request_latency").tag("model", model).publishPercentileHistogram()
                .description("time from submission to completion").register(registry);
        firstResult = Timer.builder("lmaas_worker_time_to_first_token").tag("model", model).publishPercentileHistogram()
                .description("time from submission to the first generated token (or the result)").register(registry);
    }

    /** Registers what the loaded model computes on. */
    void device(ComputeDevice device) {
        Gauge.builder("lmaas_worker_device", () -> 1).tag("model", model).tag("device", device.label())
                .tag("engine", device.engine()).description("the device the model computes on (value 1)").register(registry);
        Gauge.builder("lmaas_worker_resident_memory_bytes", ResidentMemory::bytes).tag("model", model)
                .description("the worker process's resident memory").register(registry);
        if (device.gpu()) {
            Gauge.builder("lmaas_worker_device_memory_used_bytes", () -> CudaUtils.getGpuMemory(device.device()).getUsed())
                    .tag("model", model).tag("device", device.label())
                    .description("memory in use on the worker's GPU (all processes)").register(registry);
        }
    }

    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void batch(int size) {
        batchSize.record(size);
    }

    @Override
    public void tokens(int count) {
        tokens.increment(count);
    }

    @Override
    public void rejected() {
        rejections.increment();
    }

    @Override
    public void queued(int depth) {
        queueDepth.set(depth);
    }

    @Override
    public void finished(long totalNanos, long firstNanos) {
        latency.record(totalNanos, TimeUnit.NANOSECONDS);
        firstResult.record(firstNanos, TimeUnit.NANOSECONDS);
    }

    void queueDepth(int depth) {
        queueDepth.set(depth);
    }
}
