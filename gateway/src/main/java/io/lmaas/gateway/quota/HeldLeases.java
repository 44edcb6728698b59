package io.lmaas.gateway.quota;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The budget leases this gateway replica holds and their upkeep against PostgreSQL: leasing a slice, renewing live
 * leases by heartbeat, giving back idle ones (and, when another replica runs short, what is held unreserved), marking
 * uses durable once the ledger wrote them, dropping budgets whose window ended. {@link QuotaService} decides what to
 * admit; this keeps what it admits from.
 */
final class HeldLeases {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLeases.class);

    private final QuotaRepository repository;
    private final String gatewayId;
    private final Clock clock;
    private final QuotaService.Settings settings;
    private final QuotaMetrics metrics;
    private final Map<BudgetKey, LocalBudget> budgets = new ConcurrentHashMap<>();
    private final Map<Long, LocalBudget> leaseOwners;
    private Instant lastHeartbeat = Instant.EPOCH;
    private Instant lastCleanup = Instant.EPOCH;

    HeldLeases(QuotaRepository repository, String gatewayId, Clock clock, QuotaService.Settings settings, QuotaMetrics metrics,
            Map<Long, LocalBudget> leaseOwners) {
        this.repository = repository;
        this.gatewayId = gatewayId;
        this.clock = clock;
        this.settings = settings;
        this.metrics = metrics;
        this.leaseOwners = leaseOwners;
    }

    LocalBudget budget(BudgetKey key) {
        LocalBudget b = budgets.get(key);
        return b != null ? b : budgets.computeIfAbsent(key, LocalBudget::new);
    }

    Future<QuotaRepository.Grant> acquire(LocalBudget b, long need, long want) {
        Instant asked = clock.instant();
        return repository.acquire(b.key, gatewayId, need, want, settings.leaseTtl()).onComplete(ar -> metrics.acquisition(
                ar.failed() ? "failed" : ar.result().leaseId() != null ? "granted" : "refused")).onSuccess(g -> {
            if (g.leaseId() != null) {
                leaseOwners.put(g.leaseId(), b);
                b.addLease(g.leaseId(), g.amount(), usableUntil(asked), clock.instant(), g.availableAfter());
            } else {
                b.centralAvailable(g.availableAfter());
            }
        });
    }

    /** A lease may be used until its TTL minus a safety margin, counted from when it was asked for. */
    private Instant usableUntil(Instant asked) {
        Duration margin = settings.leaseTtl().dividedBy(5);
        return asked.plus(settings.leaseTtl()).minus(margin);
    }

    /**
     * Another replica ran short of a budget ({@code "<budget id> <its gateway id>"}): give back what this one holds
     * unreserved. The asker's own notification comes back to it too, and is ignored: it is the one that needs the units.
     */
    void giveBack(String notification) {
        int space = notification.lastIndexOf(' ');
        String budgetId = space < 0 ? notification : notification.substring(0, space);
        if (space >= 0 && notification.substring(space + 1).equals(gatewayId)) {
            return;
        }
        for (LocalBudget b : budgets.values()) {
            if (!b.key.id().equals(budgetId)) {
                continue;
            }
            List<LeaseUse> giveBack = b.shrinkIdle();
            synchronized (b) {
                b.exhaustedAvailable += giveBack.stream().mapToLong(LeaseUse::amount).sum();
            }
            if (!giveBack.isEmpty()) {
                repository.shrink(giveBack).onFailure(e -> LOG.warn("lease shrink failed (units return at expiry): {}",
                        e.toString()));
            }
        }
    }

    /** Gives back every unused lease (after the change feed reconnects, changes may have been missed). */
    void releaseEverything() {
        budgets.values().forEach(b -> release(b, true));
    }

    void releaseScope(BudgetKey.Scope scope, String id) {
        budgets.values().stream().filter(b -> b.key.scope() == scope && b.key.scopeId().equals(id))
                .forEach(b -> release(b, true));
    }

    /** The ledger made these uses durable (or, on a failed write, they will never be). */
    void flushed(List<LeaseUse> uses) {
        if (uses.isEmpty()) {
            return;
        }
        for (LeaseUse u : uses) {
            LocalBudget b = leaseOwners.get(u.leaseId());
            if (b != null) {
                b.flushed(u.leaseId(), u.amount());
            }
        }
    }

    private void release(LocalBudget b, boolean everything) {
        List<Long> ids = forget(b.takeReleasable(clock.instant().minus(settings.idleRelease()), everything));
        if (!ids.isEmpty()) {
            synchronized (b) {
                b.exhaustedUntil = Instant.EPOCH; // what the database had left is no longer what it has: ask it next time
            }
            repository.release(ids).onFailure(e -> LOG.warn("lease release failed (they will expire): {}", e.toString()));
        }
    }

    void maintain() {
        Instant now = clock.instant();
        budgets.entrySet().removeIf(e -> {
            LocalBudget b = e.getValue();
            if (!b.key.windowEnd().isAfter(now)) {
                forget(b.takeReleasable(now, true));
                return b.empty();
            }
            release(b, false);
            return b.empty() && b.acquiring == null;
        });
        if (Duration.between(lastHeartbeat, now).compareTo(settings.heartbeat()) >= 0) {
            lastHeartbeat = now;
            heartbeat(now);
        }
        if (Duration.between(lastCleanup, now).toMinutes() >= 10) {
            lastCleanup = now;
            repository.deleteOldLeases().onFailure(e -> LOG.debug("old lease cleanup failed: {}", e.toString()));
        }
    }

    private void heartbeat(Instant asked) {
        Map<LocalBudget, List<Long>> live = new java.util.HashMap<>();
        List<Long> all = new ArrayList<>();
        budgets.values().forEach(b -> {
            List<Long> ids = b.liveLeases(asked);
            if (!ids.isEmpty()) {
                live.put(b, ids);
                all.addAll(ids);
            }
        });
        if (all.isEmpty()) {
            return;
        }
        repository.extend(all, settings.leaseTtl()).onComplete(ar -> {
            metrics.renewal(ar.succeeded(), all.size());
            if (ar.failed()) {
                LOG.warn("lease heartbeat failed; leases stop admitting at their deadline: {}", ar.cause().toString());
                return;
            }
            Instant until = usableUntil(asked);
            live.forEach((b, ids) -> b.extended(new HashSet<>(ar.result()), ids, until));
        });
    }

    /** Gives back every lease that nothing holds any more (graceful shutdown). */
    Future<Void> releaseAll() {
        List<Long> ids = new ArrayList<>();
        budgets.values().forEach(b -> ids.addAll(forget(b.takeReleasable(clock.instant(), true))));
        return repository.release(ids);
    }

    private List<Long> forget(List<Long> leaseIds) {
        leaseIds.forEach(leaseOwners::remove);
        return leaseIds;
    }
}
