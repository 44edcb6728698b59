package io.lmaas.scheduler;

import io.lmaas.core.metrics.ProcessMetrics;
import io.lmaas.scheduler.admission.Decisions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The scheduler's metrics, in the process's registry: reconcile durations by loop ({@code deployments}: the
 * whole desired state against the local backend; {@code model_deployment}: one object on Kubernetes) and outcome,
 * the reconciler's work-queue depth, admission cycle durations, admissions and preemptions by kind, and the
 * workloads waiting after the last cycle by reason (the same reason codes tenants read).
 */
public final class SchedulerMetrics {
    private static final MeterRegistry REGISTRY = ProcessMetrics.registry();
    private static final Map<String, AtomicInteger> PENDING = new ConcurrentHashMap<>();
    private static volatile IntSupplier workQueue = () -> 0;

    static {
        Gauge.builder("lmaas_scheduler_work_queue_depth", () -> workQueue.getAsInt())
                .description("ModelDeployments waiting to be reconciled (leader only)").register(REGISTRY);
    }

    private SchedulerMetrics() {
    }

    /** One reconcile of {@code loop} took {@code nanos}; {@code ok} false when it failed (it is retried). */
    public static void reconciled(String loop, boolean ok, long nanos) {
        Timer.builder("lmaas_scheduler_reconcile").tag("loop", loop).tag("outcome", ok ? "ok" : "failed")
                .publishPercentileHistogram().description("reconcile durations").register(REGISTRY)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The reconciler's queue, read by the work-queue gauge (the leader's; a former leader's is dropped). */
    public static void workQueue(IntSupplier depth) {
        workQueue = depth;
    }

    /** One admission cycle: its duration, what it admitted and preempted, and what still waits, by reason. */
    public static void admissionCycle(long nanos, Decisions d) {
        Timer.builder("lmaas_scheduler_admission_cycle").publishPercentileHistogram()
                .description("admission cycle durations (snapshot, decide, write back)").register(REGISTRY)
                .record(nanos, TimeUnit.NANOSECONDS);
        for (Decisions.Admission a : d.admissions()) {
            Counter.builder("lmaas_scheduler_admissions").tag("kind", a.workload().kind().name().toLowerCase())
                    .tag("borrowing", Boolean.toString(a.borrowing())).description("workloads admitted")
                    .register(REGISTRY).increment();
        }
        for (Decisions.Preemption p : d.preemptions()) {
            Counter.builder("lmaas_scheduler_preemptions").tag("kind", p.victim().workload().kind().name().toLowerCase())
                    .description("admitted workloads preempted").register(REGISTRY).increment();
        }
        Map<String, Integer> counts = new java.util.HashMap<>();
        d.pending().values().forEach(r -> counts.merge(r.code(), 1, Integer::sum));
        PENDING.forEach((reason, n) -> n.set(counts.getOrDefault(reason, 0)));
        counts.forEach((reason, n) -> PENDING.computeIfAbsent(reason, r -> {
            AtomicInteger g = new AtomicInteger();
            Gauge.builder("lmaas_scheduler_pending_workloads", g, AtomicInteger::get).tag("reason", r)
                    .description("workloads not admitted after the last cycle, by reason").register(REGISTRY);
            return g;
        }).set(n));
    }
}
