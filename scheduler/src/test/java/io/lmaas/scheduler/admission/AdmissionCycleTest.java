package io.lmaas.scheduler.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Admission decisions as tables: quota, borrowing, reclaim by preemption, priorities, fair share, flavors, reasons. */
class AdmissionCycleTest {
    private static final Instant T0 = Instant.parse("2026-11-28T12:00:00Z");

    /** A small builder for snapshots, so each case reads as a table. */
    private static final class Case {
        final Map<String, TenantQueue> queues = new HashMap<>();
        final Map<String, Integer> capacity = new HashMap<>();
        final List<Snapshot.Admitted> admitted = new ArrayList<>();
        final List<Workload> pending = new ArrayList<>();
        int clock;

        Case capacity(String flavor, int gpus) {
            capacity.put(flavor, gpus);
            return this;
        }

        Case queue(String tenant, int weight, String cohort, String flavor, int nominal) {
            queues.put(tenant, new TenantQueue(tenant, weight, cohort, Map.of(flavor, nominal), Map.of()));
            return this;
        }

        Case queue(TenantQueue q) {
            queues.put(q.tenant(), q);
            return this;
        }

        Case running(String id, String tenant, String flavor, int gpus, int priority) {
            admitted.add(new Snapshot.Admitted(job(id, tenant, List.of(flavor), gpus, priority), flavor, T0.plusSeconds(clock++)));
            return this;
        }

        Case waiting(String id, String tenant, String flavor, int gpus, int priority) {
            return waiting(id, tenant, List.of(flavor), gpus, priority);
        }

        Case waiting(String id, String tenant, List<String> flavors, int gpus, int priority) {
            pending.add(job(id, tenant, flavors, gpus, priority));
            return this;
        }

        Workload job(String id, String tenant, List<String> flavors, int gpus, int priority) {
            return new Workload(id, tenant, Workload.Kind.JOB, flavors, gpus, priority, T0.plusSeconds(clock++));
        }

        Decisions run() {
            return AdmissionCycle.run(new Snapshot(queues, capacity, admitted, pending, T0.plusSeconds(3600)));
        }
    }

    private static List<String> admitted(Decisions d) {
        return d.admissions().stream().map(a -> a.workload().id() + "@" + a.flavor() + (a.borrowing() ? "+borrow" : "")).toList();
    }

    private static List<String> preempted(Decisions d) {
        return d.preemptions().stream().map(p -> p.victim().workload().id()).toList();
    }

    @Test
    void withinNominalQuotaIsAdmitted() {
        Decisions d = new Case().capacity("h100", 8).queue("acme", 1, null, "h100", 4)
                .running("a1", "acme", "h100", 2, 0).waiting("a2", "acme", "h100", 2, 0).run();
        assertThat(admitted(d)).containsExactly("a2@h100");
        assertThat(d.pending()).isEmpty();
    }

    @Test
    void overNominalQuotaWithoutACohortWaitsWithAReadableReason() {
        Decisions d = new Case().capacity("h100", 16).queue("acme", 1, null, "h100", 4)
                .running("a1", "acme", "h100", 4, 0).waiting("a2", "acme", "h100", 2, 0).run();
        assertThat(admitted(d)).isEmpty();
        assertThat(d.pending().get("a2")).hasToString("InsufficientQuota: tenant acme uses 4/4 h100, needs 2 more");
    }

    @Test
    void idleCohortQuotaIsBorrowedUpToTheBorrowingLimit() {
        Decisions free = new Case().capacity("h100", 8).queue("acme", 1, "lab", "h100", 4).queue("beta", 1, "lab", "h100", 4)
                .waiting("a1", "acme", "h100", 6, 0).run();
        assertThat(admitted(free)).containsExactly("a1@h100+borrow");

        Decisions capped = new Case().capacity("h100", 8)
                .queue(new TenantQueue("acme", 1, "lab", Map.of("h100", 4), Map.of("h100", 1)))
                .queue("beta", 1, "lab", "h100", 4)
                .waiting("a1", "acme", "h100", 6, 0).waiting("a2", "acme", "h100", 5, 0).run();
        assertThat(admitted(capped)).containsExactly("a2@h100+borrow");
        assertThat(capped.pending().get("a1")).hasToString("InsufficientQuota: tenant acme uses 5/5 h100, needs 6 more");
    }

    @Test
    void theOwnerReclaimsLentQuotaByPreemptingLowestPriorityThenNewestBorrowedWork() {
        Decisions d = new Case().capacity("h100", 8).queue("acme", 1, "lab", "h100", 4).queue("beta", 1, "lab", "h100", 4)
                .running("a-old", "acme", "h100", 2, 0)
                .running("a-mid", "acme", "h100", 2, 0)
                .running("a-new", "acme", "h100", 2, 0)
                .running("a-high", "acme", "h100", 2, 5)
                .waiting("b1", "beta", "h100", 3, 0).run();
        // acme holds 8 (4 borrowed). beta needs 3 of its own 4: two low-priority, newest-first victims.
        assertThat(preempted(d)).containsExactly("a-new", "a-mid");
        assertThat(admitted(d)).containsExactly("b1@h100");
        assertThat(d.preemptions().get(0).reason()).hasToString("Preempted: by b1 to reclaim tenant beta's nominal h100 quota");
    }

    @Test
    void noPreemptionForWorkThatWouldItselfBorrow() {
        Decisions d = new Case().capacity("h100", 8).queue("acme", 1, "lab", "h100", 4).queue("beta", 1, "lab", "h100", 4)
                .running("a1", "acme", "h100", 6, 0).waiting("b1", "beta", "h100", 5, 0).run();
        assertThat(preempted(d)).isEmpty();
        assertThat(d.pending().get("b1").code()).isEqualTo("InsufficientQuota");
        assertThat(d.pending().get("b1").message()).contains("cohort lab uses 6/8 h100");
    }

    @Test
    void higherPriorityWorkPreemptsTheTenantsOwnLowerPriorityWork() {
        Decisions d = new Case().capacity("h100", 8).queue("acme", 1, null, "h100", 4)
                .running("low-1", "acme", "h100", 2, 0).running("low-2", "acme", "h100", 2, 0)
                .waiting("urgent", "acme", "h100", 2, 10).waiting("meh", "acme", "h100", 2, 0).run();
        assertThat(preempted(d)).containsExactly("low-2");
        assertThat(admitted(d)).containsExactly("urgent@h100");
        assertThat(d.preemptions().get(0).reason().message()).isEqualTo("by urgent (priority 10 over 0)");
        assertThat(d.pending().get("meh").code()).isEqualTo("InsufficientQuota");
    }

    @Test
    void higherPriorityGoesFirstAcrossTenants() {
        Decisions d = new Case().capacity("h100", 2).queue("acme", 1, "lab", "h100", 2).queue("beta", 1, "lab", "h100", 2)
                .waiting("a-low", "acme", "h100", 2, 0).waiting("b-high", "beta", "h100", 2, 7).run();
        assertThat(admitted(d)).containsExactly("b-high@h100");
        assertThat(d.pending().get("a-low")).hasToString("WaitingForCapacity: 0/2 h100 GPUs free, needs 2");
    }

    @Test
    void idleQuotaIsLentInProportionToTheWeights() {
        Case c = new Case().capacity("h100", 16).queue("acme", 3, "lab", "h100", 4).queue("beta", 1, "lab", "h100", 4)
                .queue("idle", 1, "lab", "h100", 8);
        for (int i = 0; i < 20; i++) {
            c.waiting("a" + i, "acme", "h100", 1, 0).waiting("b" + i, "beta", "h100", 1, 0);
        }
        Decisions d = c.run();
        Map<String, Long> byTenant = d.admissions().stream().collect(Collectors.groupingBy(a -> a.workload().tenant(),
                Collectors.counting()));
        // Each first takes its own 4; the idle tenant's 8 are lent 3:1.
        assertThat(byTenant).containsEntry("acme", 10L).containsEntry("beta", 6L);
        assertThat(d.pending()).hasSize(24).allSatisfy((id, r) -> assertThat(r.message()).contains("cohort lab uses 16/16 h100"));
        assertThat(d.pending().get("a10")).hasToString("InsufficientQuota: tenant acme uses 10/4 h100; cohort lab uses 16/16 h100,"
                + " needs 1 more");
    }

    @Test
    void aBorrowerWaitingForRoomIsNotOvertakenBySmallerWorkOfTenantsWithLargerShares() {
        Decisions d = new Case().capacity("h100", 8).queue("pool", 1, "lab", "h100", 8)
                .queue("acme", 1, "lab", "h100", 0).queue("beta", 1, "lab", "h100", 0)
                .running("a1", "acme", "h100", 2, 0).running("b1", "beta", "h100", 4, 0)
                .waiting("a-big", "acme", "h100", 4, 0).waiting("b-small", "beta", "h100", 1, 0).run();
        // acme has the lower share and waits for 4 GPUs; beta's 1-GPU job may not take the 2 that are free.
        assertThat(admitted(d)).isEmpty();
        assertThat(d.pending().get("a-big")).hasToString(
                "InsufficientQuota: tenant acme uses 2/0 h100; cohort lab uses 6/8 h100, needs 4 more");
        assertThat(d.pending()).containsKey("b-small");
    }

    @Test
    void theFirstAcceptedFlavorWithRoomIsUsed() {
        Decisions d = new Case().capacity("l4", 2).capacity("h100", 8)
                .queue(new TenantQueue("acme", 1, null, Map.of("l4", 2, "h100", 4), Map.of()))
                .running("a1", "acme", "l4", 2, 0)
                .waiting("a2", "acme", List.of("l4", "h100"), 2, 0).run();
        assertThat(admitted(d)).containsExactly("a2@h100");
    }

    @Test
    void missingQueuesAndFlavorsAndTakenCapacityAreExplained() {
        Decisions d = new Case().capacity("h100", 4).queue("acme", 1, null, "h100", 8)
                .running("a1", "acme", "h100", 4, 0)
                .waiting("a2", "acme", "h100", 2, 0)
                .waiting("n1", "nobody", "h100", 1, 0)
                .waiting("x1", "acme", "tpu", 1, 0).run();
        assertThat(d.pending().get("a2")).hasToString("WaitingForCapacity: 0/4 h100 GPUs free, needs 2");
        assertThat(d.pending().get("n1")).hasToString("NoQueue: tenant nobody has no GPU queue");
        assertThat(d.pending().get("x1")).hasToString("NoCapacity: no nodes of GPU flavor tpu");
    }

    @Test
    void cpuWorkloadsNeedNoQuota() {
        Decisions d = new Case().waiting("cpu", "anyone", List.of(), 0, 0).run();
        assertThat(d.admissions()).singleElement().satisfies(a -> assertThat(a.flavor()).isNull());
    }

    @Test
    void theSameSnapshotAlwaysGivesTheSameDecisions() {
        Case c = new Case().capacity("h100", 8).queue("acme", 2, "lab", "h100", 4).queue("beta", 1, "lab", "h100", 4)
                .running("a1", "acme", "h100", 3, 0).running("a2", "acme", "h100", 3, 0);
        for (int i = 0; i < 10; i++) {
            c.waiting("b" + i, "beta", "h100", 1, i % 3).waiting("c" + i, "acme", "h100", 1, i % 2);
        }
        Decisions first = c.run();
        for (int i = 0; i < 5; i++) {
            Decisions again = c.run();
            assertThat(admitted(again)).isEqualTo(admitted(first));
            assertThat(preempted(again)).isEqualTo(preempted(first));
            assertThat(again.pending()).isEqualTo(first.pending());
        }
    }
}
