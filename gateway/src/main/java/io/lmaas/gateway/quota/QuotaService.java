package io.lmaas.gateway.quota;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admission against every budget that applies to a request (the tenant's and the key's), exactly
 * across gateway replicas without a database round trip per request: each replica leases slices of a
 * budget window from PostgreSQL and admits locally; a request reserves its estimate and settles to
 * what it used. Leases are kept alive by heartbeat, given back when idle, and die with their replica.
 */
public final class QuotaService implements AutoCloseable {
    /**
     * Tuning: how long leases live, how often they are renewed, when idle ones go back, how large a slice
     * is (limit / divisor), and how long a request that found the budget exhausted waits for other replicas
     * to give back units they hold but do not need.
     */
    public record Settings(Duration leaseTtl, Duration heartbeat, Duration idleRelease, int sliceDivisor,
            Duration reclaimWait) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(10), Duration.ofSeconds(3),
                Duration.ofSeconds(2), 16, Duration.ofMillis(100));

        /** How long a refusal is remembered locally: requests meanwhile are refused without a database trip. */
        Duration exhaustedHold() {
            return idleRelease.dividedBy(2);
        }
    }

    private final Vertx vertx;
    private final QuotaRepository repository;
    private final String gatewayId;
    private final Clock clock;
    private final Settings settings;
    private final Map<String, Future<Limits>> tenantLimits = new ConcurrentHashMap<>();
    private final HeldLeases leases;
    private final QuotaMetrics metrics;
    private long timer = -1;

    public QuotaService(Vertx vertx, QuotaRepository repository, String gatewayId, Clock clock, Settings settings) {
        this(vertx, repository, gatewayId, clock, settings, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                io.micrometer.core.instrument.Tags.empty());
    }

    /** With its metrics (rejections by reason, lease acquisitions and renewals, leases held) in {@code registry}. */
    public QuotaService(Vertx vertx, QuotaRepository repository, String gatewayId, Clock clock, Settings settings,
            io.micrometer.core.instrument.MeterRegistry registry, io.micrometer.core.instrument.Tags tags) {
        this.vertx = vertx;
        this.repository = repository;
        this.gatewayId = gatewayId;
        this.clock = clock;
        this.settings = settings;
        Map<Long, LocalBudget> owners = new ConcurrentHashMap<>();
        this.metrics = new QuotaMetrics(registry, tags, owners::size);
        this.leases = new HeldLeases(repository, gatewayId, clock, settings, metrics, owners);
    }

    public void start() {
        timer = vertx.setPeriodic(1000, id -> leases.maintain());
    }

    /**
     * Admits a request of at most {@code tokens} tokens for the tenant and key, or fails with the
     * {@code ApiException} the client gets (429 per-minute and concurrency, 402 daily/monthly).
     */
    public Future<Admission> admit(String tenantId, String keyId, Limits keyLimits, long tokens) {
        return admit(tenantId, keyId, keyLimits, tokens, false);
    }

    /**
     * Like {@link #admit}, but a token budget with less left than {@code tokens} (an upper bound, often far above the
     * real cost) admits with what it has left: the caller learns the real cost before answering and must withhold
     * an answer that costs more than was reserved ({@link Admission#shortfall}). So a budget can be spent to within
     * one request's real cost of its limit, and never past it.
     */
    public Future<Admission> admitUpTo(String tenantId, String keyId, Limits keyLimits, long tokens) {
        return admit(tenantId, keyId, keyLimits, tokens, true);
    }

    /** Only the daily and monthly token budgets (batch lines: not bound by per-minute limits), up to what is left. */
    public Future<Admission> admitBudgets(String tenantId, String keyId, Limits keyLimits, long tokens) {
        Future<Limits> tenant = tenantLimits(tenantId);
        return tenant.compose(l -> admit(tenantId, l.budgetsOnly(), keyId, keyLimits.budgetsOnly(), tokens, true));
    }

    private Future<Admission> admit(String tenantId, String keyId, Limits keyLimits, long tokens, boolean upTo) {
        Future<Limits> tenant = tenantLimits(tenantId);
        if (tenant.isComplete() && tenant.succeeded()) {
            return admit(tenantId, tenant.result(), keyId, keyLimits, tokens, upTo);
        }
        return tenant.compose(l -> admit(tenantId, l, keyId, keyLimits, tokens, upTo));
    }

    private Future<Admission> admit(String tenantId, Limits tenant, String keyId, Limits key, long tokens, boolean upTo) {
        if (tenant.unlimited() && key.unlimited()) {
            return Future.succeededFuture(Admission.UNLIMITED);
        }
        Instant now = clock.instant();
        List<BudgetKey> keys = new ArrayList<>(6);
        tenant.specs().forEach(s -> keys.add(BudgetKey.of(BudgetKey.Scope.TENANT, tenantId, s, now)));
        key.specs().forEach(s -> keys.add(BudgetKey.of(BudgetKey.Scope.KEY, keyId, s, now)));
        List<LocalBudget.Part> parts = new ArrayList<>(keys.size());
        // Fast path: every budget admits from leases this replica already holds.
        for (int i = 0; i < keys.size(); i++) {
            LocalBudget b = leases.budget(keys.get(i));
            List<LocalBudget.Part> p = b.tryReserve(amount(b, tokens), now);
            if (p == null) {
                return reserveRest(keys, i, tokens, parts, upTo).map(all -> new Admission(all, rateLimits(keys, now)));
            }
            parts.addAll(p);
        }
        return Future.succeededFuture(new Admission(parts, rateLimits(keys, now)));
    }

    private Future<List<LocalBudget.Part>> reserveRest(List<BudgetKey> keys, int from, long tokens, List<LocalBudget.Part> parts,
            boolean upTo) {
        if (from == keys.size()) {
            return Future.succeededFuture(parts);
        }
        LocalBudget b = leases.budget(keys.get(from));
        return reserve(b, amount(b, tokens), 0, false, upTo && b.key.spec().dimension() == Dimension.TOKENS)
                .compose(p -> {
                    parts.addAll(p);
                    return reserveRest(keys, from + 1, tokens, parts, upTo);
                })
                .recover(e -> {
                    new Admission(parts, null).settle(0);
                    return Future.failedFuture(e);
                });
    }

    private static long amount(LocalBudget b, long tokens) {
        return b.key.spec().dimension() == Dimension.TOKENS ? tokens : 1;
    }

    /**
     * Reserves on the budget, leasing more from PostgreSQL when this replica's share is short. Only when
     * the budget is exhausted centrally, and after other replicas were asked to give back what they hold
     * unreserved, is the request refused: so replicas together admit exactly the limit.
     */
    private Future<List<LocalBudget.Part>> reserve(LocalBudget b, long n, int round, boolean reclaimed, boolean upTo) {
        Instant now = clock.instant();
        List<LocalBudget.Part> p = b.tryReserve(n, now);
        if (p != null) {
            return Future.succeededFuture(p);
        }
        if (round > 64) {
            return Future.failedFuture(metrics.rejected(b.key, now));
        }
        // Within a recent refusal's hold, only what the database had left then (plus what this replica gave back since)
        // can make up this replica's shortfall: no database trip for a request that cannot fit.
        if (n > b.key.spec().limit() || (now.isBefore(b.exhaustedUntil) && n - b.usable(now) > b.exhaustedAvailable)) {
            return upTo ? reserveLeft(b, n, Math.min(b.exhaustedAvailable, b.key.spec().limit()), round, reclaimed, now)
                    : Future.failedFuture(metrics.rejected(b.key, now));
        }
        Future<QuotaRepository.Grant> shared;
        boolean acquirer = false;
        synchronized (b) {
            @SuppressWarnings("unchecked")
            Future<QuotaRepository.Grant> inFlight = (Future<QuotaRepository.Grant>) b.acquiring;
            if (inFlight != null) {
                shared = inFlight;
                b.waiting++;
            } else {
                long want = Math.max(n * (1 + b.waiting), ceilDiv(b.key.spec().limit(), settings.sliceDivisor()));
                b.waiting = 0;
                // What this replica's leases hold already counts: the database is asked only for the shortfall.
                shared = leases.acquire(b, Math.max(1, n - b.usable(now)), want);
                b.acquiring = shared;
                acquirer = true;
            }
        }
        boolean mine = acquirer;
        return shared.transform(ar -> {
            if (mine) {
                synchronized (b) {
                    b.acquiring = null;
                }
            }
            if (ar.failed()) {
                return Future.failedFuture(ar.cause());
            }
            QuotaRepository.Grant g = ar.result();
            if (g.unlimited()) {
                invalidate(b.key);
                return Future.succeededFuture(List.of());
            }
            if (g.leaseId() != null) {
                return reserve(b, n, round + 1, reclaimed, upTo);
            }
            List<LocalBudget.Part> local = b.tryReserve(n, clock.instant());
            if (local != null) {
                return Future.succeededFuture(local);
            }
            if (reclaimed) {
                Instant at = clock.instant();
                synchronized (b) {
                    Instant until = at.plus(settings.exhaustedHold());
                    b.exhaustedUntil = until.isBefore(b.key.windowEnd()) ? until : b.key.windowEnd();
                    b.exhaustedAvailable = g.availableAfter();
                }
                return upTo ? reserveLeft(b, n, g.availableAfter(), round, true, at) : Future.failedFuture(metrics.rejected(b.key, at));
            }
            return reclaim(b).compose(v -> reserve(b, n, round + 1, true, upTo));
        });
    }

    /** {@code n} does not fit: reserve what is left (this replica's leases plus what is not leased), if anything. */
    private Future<List<LocalBudget.Part>> reserveLeft(LocalBudget b, long n, long centralAvailable, int round, boolean reclaimed,
            Instant now) {
        long left = b.usable(now) + Math.max(0, centralAvailable);
        if (left <= 0 || left >= n) {
            return Future.failedFuture(metrics.rejected(b.key, now));
        }
        return reserve(b, left, round + 1, reclaimed, true);
    }

    /** Asks every replica to give back unreserved units of the budget, then waits a moment for them. */
    private Future<Void> reclaim(LocalBudget b) {
        synchronized (b) {
            if (b.reclaiming != null) {
                return b.reclaiming;
            }
            Promise<Void> done = Promise.promise();
            b.reclaiming = done.future();
            repository.askReclaim(b.key.id(), gatewayId).onComplete(ar -> vertx.setTimer(Math.max(1, settings.reclaimWait().toMillis()),
                    t -> {
                        synchronized (b) {
                            b.reclaiming = null;
                        }
                        done.complete();
                    }));
            return done.future();
        }
    }

    private RateLimitInfo rateLimits(List<BudgetKey> keys, Instant now) {
        BudgetKey requests = null;
        BudgetKey tokens = null;
        for (BudgetKey k : keys) {
            if (k.spec().period() != Period.MINUTE) {
                continue;
            }
            if (k.spec().dimension() == Dimension.REQUESTS && (requests == null || k.spec().limit() < requests.spec().limit())) {
                requests = k;
            } else if (k.spec().dimension() == Dimension.TOKENS && (tokens == null || k.spec().limit() < tokens.spec().limit())) {
                tokens = k;
            }
        }
        if (requests == null && tokens == null) {
            return null;
        }
        return new RateLimitInfo(
                requests == null ? null : requests.spec().limit(),
                requests == null ? null : leases.budget(requests).remainingEstimate(now),
                requests == null ? null : Duration.between(now, requests.windowEnd()),
                tokens == null ? null : tokens.spec().limit(),
                tokens == null ? null : leases.budget(tokens).remainingEstimate(now),
                tokens == null ? null : Duration.between(now, tokens.windowEnd()));
    }

    private Future<Limits> tenantLimits(String tenantId) {
        Future<Limits> f = tenantLimits.get(tenantId);
        if (f != null && !(f.isComplete() && f.failed())) {
            return f;
        }
        Future<Limits> loaded = repository.tenantLimits(tenantId);
        tenantLimits.put(tenantId, loaded);
        return loaded;
    }

    /** Called when a tenant's limits changed anywhere: forget them and give back that tenant's unused leases. */
    public void tenantLimitsChanged(String tenantId) {
        tenantLimits.remove(tenantId);
        leases.releaseScope(BudgetKey.Scope.TENANT, tenantId);
    }

    /** Called when a key changed anywhere (limits, revocation): give back that key's unused leases. */
    public void keyChanged(String keyId) {
        leases.releaseScope(BudgetKey.Scope.KEY, keyId);
    }

    /** Forget everything cached (after the change feed reconnects, changes may have been missed). */
    public void invalidateAll() {
        tenantLimits.clear();
        leases.releaseEverything();
    }

    private void invalidate(BudgetKey key) {
        if (key.scope() == BudgetKey.Scope.TENANT) {
            tenantLimits.remove(key.scopeId());
        }
    }

    /**
     * Another replica ran short of a budget ({@code "<budget id> <its gateway id>"}): give back what this one holds
     * unreserved (the asker's own notification is ignored).
     */
    public void reclaim(String notification) {
        leases.giveBack(notification);
    }

    /** The ledger made these uses durable (or, on a failed write, they will never be). */
    public void flushed(List<LeaseUse> uses) {
        leases.flushed(uses);
    }

    /** Gives back every lease that nothing holds any more (graceful shutdown). */
    public Future<Void> releaseAll() {
        return leases.releaseAll();
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
