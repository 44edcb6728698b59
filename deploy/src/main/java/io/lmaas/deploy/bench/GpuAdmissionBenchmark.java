package io.lmaas.deploy.bench;

import io.lmaas.scheduler.admission.AdmissionCycle;
import io.lmaas.scheduler.admission.Decisions;
import io.lmaas.scheduler.admission.Snapshot;
import io.lmaas.scheduler.admission.TenantQueue;
import io.lmaas.scheduler.admission.Workload;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code lmaas bench scheduler}: the GPU admission loop on a simulated cluster. 10,000 jobs from 100 tenants
 * (weights 1–4, 1–8 GPUs each, 10–100 simulated minutes) are queued at once onto 1,000 nodes of 8 GPUs.
 * All capacity is lent by one pool queue in the tenants' cohort, so every GPU a tenant holds is borrowed
 * and weighted fair share alone decides who gets what. Simulated time advances one minute per cycle; each
 * cycle builds a snapshot, runs {@link AdmissionCycle}, starts what it admits and stops what it preempts.
 *
 * <p>Reported: admissions per second of cycle time (snapshot building plus admission), cycle time p50/p99/max,
 * and fair share: each tenant's GPU-minutes while every tenant still had work queued, against its weight. Also
 * "workload evaluations": every pending workload given an outcome in a cycle — admitted, preempted or a reason
 * to wait — counted again in every cycle it still waits. It is the loop's work, not decisions that changed
 * anything (an earlier version called it "decisions per second" and led with it).
 */
public final class GpuAdmissionBenchmark {
    private static final int NODES = 1000;
    private static final int GPUS_PER_NODE = 8;
    private static final int TENANTS = 100;
    private static final int JOBS = 10_000;
    private static final String FLAVOR = "h100";

    private GpuAdmissionBenchmark() {
    }

    private record Running(Snapshot.Admitted admitted, int endMinute) {
    }

    public static void run() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Random random = new Random(42);
        Map<String, TenantQueue> queues = new HashMap<>();
        queues.put("pool", new TenantQueue("pool", 1, "all", Map.of(FLAVOR, NODES * GPUS_PER_NODE), Map.of()));
        int[] weights = new int[TENANTS];
        for (int t = 0; t < TENANTS; t++) {
            weights[t] = 1 + t % 4;
            queues.put(tenant(t), new TenantQueue(tenant(t), weights[t], "all", Map.of(), Map.of()));
        }
        Map<String, Integer> durations = new HashMap<>();
        List<Workload> pending = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            String id = String.format(Locale.ROOT, "job-%05d", i);
            pending.add(new Workload(id, tenant(i % TENANTS), Workload.Kind.JOB, List.of(FLAVOR), 1 + random.nextInt(8), 0,
                    t0.plusMillis(i)));
            durations.put(id, 10 + random.nextInt(91));
        }
        Map<String, Integer> capacity = Map.of(FLAVOR, NODES * GPUS_PER_NODE);
        List<Running> running = new ArrayList<>();
        Map<String, Integer> queuedPerTenant = new HashMap<>();
        pending.forEach(w -> queuedPerTenant.merge(w.tenant(), 1, Integer::sum));
        double[] gpuMinutes = new double[TENANTS];

        // Warm-up: the same simulation's first cycles, discarded.
        for (int i = 0; i < 20; i++) {
            AdmissionCycle.run(new Snapshot(queues, capacity, List.of(), pending, t0));
        }

        long evaluations = 0;
        long admissions = 0;
        long preemptions = 0;
        long busyNanos = 0;
        List<Long> cycleNanos = new ArrayList<>();
        int minute = 0;
        int saturatedMinutes = 0;
        while (!pending.isEmpty() || !running.isEmpty()) {
            final int now = minute;
            running.removeIf(r -> r.endMinute() <= now);
            long start = System.nanoTime();
            List<Snapshot.Admitted> admitted = new ArrayList<>(running.size());
            running.forEach(r -> admitted.add(r.admitted()));
            Decisions d = AdmissionCycle.run(new Snapshot(queues, capacity, admitted, pending, t0.plus(Duration.ofMinutes(minute))));
            long took = System.nanoTime() - start;
            busyNanos += took;
            cycleNanos.add(took);
            evaluations += d.admissions().size() + d.pending().size() + d.preemptions().size();
            admissions += d.admissions().size();
            preemptions += d.preemptions().size();

            java.util.Set<String> started = new java.util.HashSet<>();
            for (Decisions.Admission a : d.admissions()) {
                running.add(new Running(new Snapshot.Admitted(a.workload(), a.flavor(), t0.plus(Duration.ofMinutes(minute))),
                        minute + durations.get(a.workload().id())));
                started.add(a.workload().id());
                queuedPerTenant.merge(a.workload().tenant(), -1, Integer::sum);
            }
            pending.removeIf(w -> started.contains(w.id()));

            boolean allWaiting = queuedPerTenant.values().stream().allMatch(n -> n > 0) && queuedPerTenant.size() == TENANTS;
            if (allWaiting) {
                saturatedMinutes++;
                for (Running r : running) {
                    gpuMinutes[index(r.admitted().workload().tenant())] += r.admitted().workload().gpus();
                }
            }
            minute++;
        }

        double totalWeight = 0;
        for (int w : weights) {
            totalWeight += w;
        }
        double totalGpuMinutes = 0;
        for (double g : gpuMinutes) {
            totalGpuMinutes += g;
        }
        double maxRelative = 0;
        double meanRelative = 0;
        double distance = 0;
        for (int t = 0; t < TENANTS; t++) {
            double expected = weights[t] / totalWeight;
            double actual = gpuMinutes[t] / totalGpuMinutes;
            maxRelative = Math.max(maxRelative, Math.abs(actual - expected) / expected);
            meanRelative += Math.abs(actual - expected) / expected / TENANTS;
            distance += Math.abs(actual - expected) / 2;
        }
        cycleNanos.sort(Long::compare);
        double seconds = busyNanos / 1e9;
        System.out.printf(Locale.ROOT, "machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.println();
        System.out.println("| GPU admission: 10,000 jobs, 100 tenants, 1,000 nodes × 8 GPUs | value |");
        System.out.println("|---|---|");
        row("simulated minutes until every job finished", String.format(Locale.ROOT, "%,d (%,d cycles)", minute, cycleNanos.size()));
        row("**admissions per second of cycle time**", String.format(Locale.ROOT, "%,.0f (%,d admissions, %,d preemptions in %.2f s)",
                admissions / seconds, admissions, preemptions, seconds));
        row("**cycle time p50 / p99 / max**", String.format(Locale.ROOT, "%.2f / %.2f / %.2f ms", pct(cycleNanos, 0.5) / 1e6,
                pct(cycleNanos, 0.99) / 1e6, cycleNanos.get(cycleNanos.size() - 1) / 1e6));
        row("workload evaluations per second (each waiting workload counted in every cycle it waits)",
                String.format(Locale.ROOT, "%,.0f (%,d)", evaluations / seconds, evaluations));
        row("minutes with every tenant waiting (fair share measured over them)", Integer.toString(saturatedMinutes));
        row("fair share: largest deviation of a tenant's GPU-time share from its weight share",
                String.format(Locale.ROOT, "%.2f%% (relative)", maxRelative * 100));
        row("fair share: mean deviation of a tenant's share from its weight share", String.format(Locale.ROOT, "%.2f%% (relative)",
                meanRelative * 100));
        row("**fair share: total variation distance from the weights**", String.format(Locale.ROOT, "%.2f%%", distance * 100));
    }

    private static String tenant(int t) {
        return String.format(Locale.ROOT, "tn-%03d", t);
    }

    private static int index(String tenant) {
        return Integer.parseInt(tenant.substring(3));
    }

    private static double pct(List<Long> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static void row(String name, String value) {
        System.out.println("| " + name + " | " + value + " |");
    }
}
