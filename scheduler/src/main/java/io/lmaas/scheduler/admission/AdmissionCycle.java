package io.lmaas.scheduler.admission;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * One admission cycle over a {@link Snapshot} (pure: no Kubernetes, no clock but the snapshot's). Kueue's
 * concepts: flavors, per-tenant nominal quota, cohorts that lend idle quota, preemption that reclaims
 * lent quota for its owner, priorities, and weighted fair share among tenants with pending work.
 *
 * <ol>
 *   <li>Usage: GPUs held per tenant, per cohort and per flavor, from the admitted workloads.</li>
 *   <li>Order: each tenant's pending workloads by priority (high first), then age, then id; tenants take
 *       turns by their head's priority, then heads that fit in their tenant's own nominal quota before heads
 *       that would borrow, then by weighted share (GPUs borrowed / weight, lowest first): guaranteed quota
 *       is never lent away in the same cycle, and idle quota is lent in proportion to the weights.</li>
 *   <li>Admit: on the first accepted flavor where it fits — within the tenant's nominal quota, or
 *       borrowing idle cohort quota up to the tenant's borrowing limit — and the cluster has the GPUs. A
 *       borrower that has to wait for room blocks the borrowers after it on that flavor (no overtaking
 *       by tenants with larger shares: large workloads are not starved by small ones); work within
 *       nominal quota is never blocked.</li>
 *   <li>Preempt: else, if the tenant is entitled to the GPUs (within nominal quota) and cohort members
 *       are borrowing, reclaim from them — lowest priority first, then most recently admitted, then id —
 *       or make room among the tenant's own lower-priority workloads; only if that makes it fit.</li>
 *   <li>Explain: every workload not admitted gets a reason a tenant can read, against the final usage.</li>
 * </ol>
 */
public final class AdmissionCycle {
    private final Snapshot snapshot;
    private final Map<String, Map<String, Integer>> tenantUse = new HashMap<>();
    private final Map<String, Map<String, Long>> cohortUse = new HashMap<>();
    private final Map<String, Map<String, Long>> cohortNominal = new HashMap<>();
    private final Map<String, Integer> clusterUse = new HashMap<>();
    private final Map<String, List<Snapshot.Admitted>> admittedOn = new HashMap<>();
    private final Set<String> preempted = new HashSet<>();
    private final List<Decisions.Admission> admissions = new ArrayList<>();
    private final List<Decisions.Preemption> preemptions = new ArrayList<>();
    private final Map<String, Decisions.Reason> pending = new LinkedHashMap<>();
    private final List<Workload> waiting = new ArrayList<>();
    /** Flavors on which a borrowing workload had to wait: later (larger-share) borrowers may not overtake it. */
    private final Set<String> borrowingBlocked = new HashSet<>();

    private AdmissionCycle(Snapshot snapshot) {
        this.snapshot = snapshot;
    }

    public static Decisions run(Snapshot snapshot) {
        return new AdmissionCycle(snapshot).decide();
    }

    private Decisions decide() {
        // 1. Usage.
        for (TenantQueue q : snapshot.queues().values()) {
            if (q.cohort() != null) {
                Map<String, Long> pool = cohortNominal.computeIfAbsent(q.cohort(), c -> new HashMap<>());
                q.nominal().forEach((f, n) -> pool.merge(f, (long) n, Long::sum));
            }
        }
        for (Snapshot.Admitted a : snapshot.admitted()) {
            if (a.workload().gpus() > 0) {
                use(a.workload(), a.flavor(), a.workload().gpus());
                admittedOn.computeIfAbsent(a.flavor(), f -> new ArrayList<>()).add(a);
            }
        }

        // 2. Order.
        Comparator<Workload> withinTenant = Comparator.comparingInt(Workload::priority).reversed()
                .thenComparing(Workload::createdAt).thenComparing(Workload::id);
        Map<String, List<Workload>> byTenant = new HashMap<>();
        for (Workload w : snapshot.pending()) {
            byTenant.computeIfAbsent(w.tenant(), t -> new ArrayList<>()).add(w);
        }
        PriorityQueue<Cursor> turns = new PriorityQueue<>(Comparator.comparingInt((Cursor c) -> -c.head().priority())
                .thenComparing(Cursor::borrows).thenComparingDouble(Cursor::share)
                .thenComparing(c -> c.head().createdAt()).thenComparing(c -> c.head().id()));
        for (List<Workload> list : byTenant.values()) {
            list.sort(withinTenant);
            turns.add(cursor(list, 0));
        }

        // 3 and 4. Admit, or preempt to admit.
        while (!turns.isEmpty()) {
            Cursor c = turns.poll();
            Workload w = c.head();
            boolean reorder = decide(w);
            if (c.index() + 1 < c.list().size()) {
                turns.add(cursor(c.list(), c.index() + 1));
            }
            if (reorder) {
                // Preemption lowered other tenants' use: their places in the turn order are stale.
                List<Cursor> all = new ArrayList<>(turns);
                turns.clear();
                all.forEach(x -> turns.add(cursor(x.list(), x.index())));
            }
        }
        // 5. Explain, against the usage the cycle ends with.
        for (Workload w : waiting) {
            pending.put(w.id(), reason(w, snapshot.queues().get(w.tenant()), w.flavors().get(0)));
        }
        return new Decisions(admissions, preemptions, pending);
    }

    private record Cursor(List<Workload> list, int index, boolean borrows, double share) {
        Workload head() {
            return list.get(index);
        }
    }

    private Cursor cursor(List<Workload> list, int index) {
        Workload w = list.get(index);
        TenantQueue q = snapshot.queues().get(w.tenant());
        boolean borrows = q != null && w.gpus() > 0 && tenantUse(w.tenant(), w.flavors().get(0)) + w.gpus() > q.nominal(w.flavors().get(0));
        return new Cursor(list, index, borrows, share(w.tenant()));
    }

    /** Admits, preempts for, or explains one workload; true when it preempted. */
    private boolean decide(Workload w) {
        if (w.gpus() == 0) {
            admissions.add(new Decisions.Admission(w, null, false));
            return false;
        }
        TenantQueue q = snapshot.queues().get(w.tenant());
        if (q == null) {
            pending.put(w.id(), new Decisions.Reason("NoQueue", "tenant " + w.tenant() + " has no GPU queue"));
            return false;
        }
        for (String f : w.flavors()) {
            boolean borrows = tenantUse(w.tenant(), f) + w.gpus() > q.nominal(f);
            if ((!borrows || !borrowingBlocked.contains(f)) && fits(w, q, f, List.of())) {
                admit(w, q, f);
                return false;
            }
        }
        for (String f : w.flavors()) {
            List<Snapshot.Admitted> victims = reclaim(w, q, f);
            if (victims == null) {
                victims = lowerPriority(w, q, f);
            }
            if (victims != null) {
                for (Snapshot.Admitted v : victims) {
                    preempted.add(v.workload().id());
                    use(v.workload(), v.flavor(), -v.workload().gpus());
                    boolean own = v.workload().tenant().equals(w.tenant());
                    preemptions.add(new Decisions.Preemption(v, w, new Decisions.Reason("Preempted", own
                            ? "by " + w.id() + " (priority " + w.priority() + " over " + v.workload().priority() + ")"
                            : "by " + w.id() + " to reclaim tenant " + w.tenant() + "'s nominal " + f + " quota")));
                }
                admit(w, q, f);
                return true;
            }
        }
        waiting.add(w);
        for (String f : w.flavors()) {
            if (tenantUse(w.tenant(), f) + w.gpus() > q.nominal(f) && tenantUse(w.tenant(), f) + w.gpus() <= q.ceiling(f)) {
                // It waits for room, not for its own quota: hold the room it needs against borrowers after it.
                borrowingBlocked.add(f);
            }
        }
        return false;
    }

    private void admit(Workload w, TenantQueue q, String f) {
        boolean borrowing = tenantUse(w.tenant(), f) + w.gpus() > q.nominal(f);
        use(w, f, w.gpus());
        admissions.add(new Decisions.Admission(w, f, borrowing));
    }

    /** Whether {@code w} fits on flavor {@code f} once the {@code removed} workloads have given back their GPUs. */
    private boolean fits(Workload w, TenantQueue q, String f, List<Snapshot.Admitted> removed) {
        long freedCluster = 0;
        long freedTenant = 0;
        long freedCohort = 0;
        for (Snapshot.Admitted r : removed) {
            freedCluster += r.workload().gpus();
            if (r.workload().tenant().equals(w.tenant())) {
                freedTenant += r.workload().gpus();
            }
            TenantQueue rq = snapshot.queues().get(r.workload().tenant());
            if (q.cohort() != null && rq != null && q.cohort().equals(rq.cohort())) {
                freedCohort += r.workload().gpus();
            }
        }
        if (clusterUse.getOrDefault(f, 0) - freedCluster + w.gpus() > snapshot.capacity().getOrDefault(f, 0)) {
            return false;
        }
        long use = tenantUse(w.tenant(), f) - freedTenant;
        if (use + w.gpus() > q.ceiling(f)) {
            return false;
        }
        if (q.cohort() == null) {
            return use + w.gpus() <= q.nominal(f);
        }
        return cohortUse(q.cohort(), f) - freedCohort + w.gpus() <= cohortNominal(q.cohort(), f);
    }

    /**
     * Victims among cohort members borrowing on {@code f}, if {@code w} is within its tenant's nominal
     * quota and taking them makes it fit; else null.
     */
    private List<Snapshot.Admitted> reclaim(Workload w, TenantQueue q, String f) {
        if (q.cohort() == null || tenantUse(w.tenant(), f) + w.gpus() > q.nominal(f)) {
            return null;
        }
        List<Snapshot.Admitted> candidates = new ArrayList<>();
        for (Snapshot.Admitted a : admittedOn.getOrDefault(f, List.of())) {
            TenantQueue aq = snapshot.queues().get(a.workload().tenant());
            if (!preempted.contains(a.workload().id()) && !a.workload().tenant().equals(w.tenant()) && aq != null
                    && q.cohort().equals(aq.cohort()) && tenantUse(a.workload().tenant(), f) > aq.nominal(f)) {
                candidates.add(a);
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(victimOrder());
        Map<String, Long> left = new HashMap<>();
        List<Snapshot.Admitted> victims = new ArrayList<>();
        for (Snapshot.Admitted v : candidates) {
            String t = v.workload().tenant();
            long use = left.computeIfAbsent(t, x -> (long) tenantUse(x, f));
            if (use <= snapshot.queues().get(t).nominal(f)) {
                continue; // no longer borrowing: what it holds now is its own
            }
            victims.add(v);
            left.put(t, use - v.workload().gpus());
            if (fits(w, q, f, victims)) {
                return victims;
            }
        }
        return null;
    }

    /** Victims among the tenant's own lower-priority workloads on {@code f}, if taking them makes {@code w} fit; else null. */
    private List<Snapshot.Admitted> lowerPriority(Workload w, TenantQueue q, String f) {
        List<Snapshot.Admitted> candidates = new ArrayList<>();
        for (Snapshot.Admitted a : admittedOn.getOrDefault(f, List.of())) {
            if (!preempted.contains(a.workload().id()) && a.workload().tenant().equals(w.tenant())
                    && a.workload().priority() < w.priority()) {
                candidates.add(a);
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(victimOrder());
        List<Snapshot.Admitted> victims = new ArrayList<>();
        for (Snapshot.Admitted v : candidates) {
            victims.add(v);
            if (fits(w, q, f, victims)) {
                return victims;
            }
        }
        return null;
    }

    /** Lowest priority first, then the most recently admitted, then by id: deterministic. */
    private static Comparator<Snapshot.Admitted> victimOrder() {
        return Comparator.comparingInt((Snapshot.Admitted a) -> a.workload().priority())
                .thenComparing(Snapshot.Admitted::admittedAt, Comparator.reverseOrder())
                .thenComparing(a -> a.workload().id());
    }

    private Decisions.Reason reason(Workload w, TenantQueue q, String f) {
        int capacity = snapshot.capacity().getOrDefault(f, 0);
        if (capacity == 0) {
            return new Decisions.Reason("NoCapacity", "no nodes of GPU flavor " + f);
        }
        int use = tenantUse(w.tenant(), f);
        if (use + w.gpus() > q.ceiling(f) || (q.cohort() == null && use + w.gpus() > q.nominal(f))) {
            long ceiling = q.cohort() == null ? q.nominal(f) : q.ceiling(f);
            return new Decisions.Reason("InsufficientQuota", "tenant " + w.tenant() + " uses " + use + "/" + ceiling + " " + f
                    + ", needs " + w.gpus() + " more");
        }
        if (q.cohort() != null && cohortUse(q.cohort(), f) + w.gpus() > cohortNominal(q.cohort(), f)) {
            return new Decisions.Reason("InsufficientQuota", "tenant " + w.tenant() + " uses " + use + "/" + q.nominal(f) + " " + f
                    + "; cohort " + q.cohort() + " uses " + cohortUse(q.cohort(), f) + "/" + cohortNominal(q.cohort(), f) + " " + f
                    + ", needs " + w.gpus() + " more");
        }
        int free = Math.max(0, capacity - clusterUse.getOrDefault(f, 0));
        return new Decisions.Reason("WaitingForCapacity", free + "/" + capacity + " " + f + " GPUs free, needs " + w.gpus());
    }

    private void use(Workload w, String f, int gpus) {
        tenantUse.computeIfAbsent(w.tenant(), t -> new HashMap<>()).merge(f, gpus, Integer::sum);
        clusterUse.merge(f, gpus, Integer::sum);
        TenantQueue q = snapshot.queues().get(w.tenant());
        if (q != null && q.cohort() != null) {
            cohortUse.computeIfAbsent(q.cohort(), c -> new HashMap<>()).merge(f, (long) gpus, Long::sum);
        }
    }

    private int tenantUse(String tenant, String f) {
        Map<String, Integer> m = tenantUse.get(tenant);
        return m == null ? 0 : m.getOrDefault(f, 0);
    }

    private long cohortUse(String cohort, String f) {
        Map<String, Long> m = cohortUse.get(cohort);
        return m == null ? 0 : m.getOrDefault(f, 0L);
    }

    private long cohortNominal(String cohort, String f) {
        Map<String, Long> m = cohortNominal.get(cohort);
        return m == null ? 0 : m.getOrDefault(f, 0L);
    }

    /** Weighted share: GPUs held beyond the tenant's nominal quota (borrowed), per unit of weight. */
    private double share(String tenant) {
        TenantQueue q = snapshot.queues().get(tenant);
        Map<String, Integer> use = tenantUse.get(tenant);
        if (q == null || use == null) {
            return 0;
        }
        long borrowed = 0;
        for (Map.Entry<String, Integer> e : use.entrySet()) {
            borrowed += Math.max(0, e.getValue() - q.nominal(e.getKey()));
        }
        return borrowed / (double) q.weight();
    }
}
