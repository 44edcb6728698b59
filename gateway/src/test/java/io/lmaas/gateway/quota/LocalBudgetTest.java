package io.lmaas.gateway.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The replica-local half of admission (pure): reserve, settle, expiry, release. */
class LocalBudgetTest {
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:10Z");

    private static LocalBudget budget(Dimension d, long limit) {
        Limits.Spec spec = new Limits.Spec(d, d.gauge() ? Period.NONE : Period.MINUTE, limit, "x");
        return new LocalBudget(BudgetKey.of(BudgetKey.Scope.TENANT, "t", spec, NOW));
    }

    @Test
    void reservesAcrossLeasesAndSettlesToWhatWasUsed() {
        LocalBudget b = budget(Dimension.TOKENS, 1000);
        b.addLease(1, 30, NOW.plusSeconds(8), NOW, 970);
        b.addLease(2, 50, NOW.plusSeconds(8), NOW, 920);
        List<LocalBudget.Part> parts = b.tryReserve(60, NOW);
        assertThat(parts).extracting(LocalBudget.Part::amount).containsExactly(30L, 30L);
        assertThat(b.tryReserve(21, NOW)).isNull();
        List<LeaseUse> uses = b.settle(parts, 40);
        assertThat(uses).containsExactly(new LeaseUse(1, 30), new LeaseUse(2, 10));
        assertThat(b.tryReserve(40, NOW)).isNotNull();
        assertThat(b.tryReserve(1, NOW)).isNull();
    }

    @Test
    void gaugesGiveEverythingBack() {
        LocalBudget b = budget(Dimension.CONCURRENCY, 2);
        b.addLease(7, 2, NOW.plusSeconds(8), NOW, 0);
        List<LocalBudget.Part> a = b.tryReserve(1, NOW);
        List<LocalBudget.Part> c = b.tryReserve(1, NOW);
        assertThat(b.tryReserve(1, NOW)).isNull();
        assertThat(b.settle(a, 0)).isEmpty();
        assertThat(b.tryReserve(1, NOW)).isNotNull();
        assertThat(c).hasSize(1);
    }

    @Test
    void aLeasePastItsDeadlineOrDeadAdmitsNothing() {
        LocalBudget b = budget(Dimension.REQUESTS, 100);
        b.addLease(1, 10, NOW.plusSeconds(1), NOW, 90);
        assertThat(b.tryReserve(1, NOW.plusSeconds(2))).isNull();
        b.extended(Set.of(), List.of(1L), NOW.plusSeconds(100));
        assertThat(b.tryReserve(1, NOW)).isNull();
    }

    @Test
    void onlyQuietLeasesAreReleasedAndNotBeforeTheirUseIsDurable() {
        LocalBudget b = budget(Dimension.REQUESTS, 100);
        b.addLease(1, 10, NOW.plusSeconds(8), NOW, 90);
        List<LocalBudget.Part> held = b.tryReserve(1, NOW);
        assertThat(b.takeReleasable(NOW.plusSeconds(60), true)).isEmpty();
        List<LeaseUse> uses = b.settle(held, 1);
        assertThat(b.takeReleasable(NOW.plusSeconds(60), true)).isEmpty();
        b.flushed(uses.get(0).leaseId(), uses.get(0).amount());
        assertThat(b.takeReleasable(NOW.plusSeconds(60), true)).containsExactly(1L);
        assertThat(b.empty()).isTrue();
    }
}
