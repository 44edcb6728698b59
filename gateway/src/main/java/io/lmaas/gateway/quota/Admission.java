package io.lmaas.gateway.quota;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An admitted request's reservations on every budget that applies to it. {@link #settle} runs once, when
 * the request ends, with the tokens really used; it returns what to make durable with the ledger row.
 */
public final class Admission {
    public static final Admission UNLIMITED = new Admission(List.of(), null);

    private final List<LocalBudget.Part> parts;
    private final RateLimitInfo rateLimits;
    private final AtomicBoolean settled = new AtomicBoolean();

    Admission(List<LocalBudget.Part> parts, RateLimitInfo rateLimits) {
        this.parts = parts;
        this.rateLimits = rateLimits;
    }

    /** Rate-limit figures for the response headers, or null when no per-minute limit applies. */
    public RateLimitInfo rateLimits() {
        return rateLimits;
    }

    /**
     * The refusal to answer with when the request really cost more tokens than a token budget could reserve for it
     * (admitted {@linkplain QuotaService#admitUpTo up to what was left}), or null when every budget covers it.
     */
    public io.lmaas.gateway.http.ApiException shortfall(long tokens) {
        java.util.Map<LocalBudget, Long> reserved = new java.util.IdentityHashMap<>();
        for (LocalBudget.Part p : parts) {
            if (p.budget().key.spec().dimension() == Dimension.TOKENS) {
                reserved.merge(p.budget(), p.amount(), Long::sum);
            }
        }
        for (java.util.Map.Entry<LocalBudget, Long> e : reserved.entrySet()) {
            if (tokens > e.getValue()) {
                return QuotaExceeded.of(e.getKey().key, java.time.Instant.now());
            }
        }
        return null;
    }

    /** Settles every reservation: one request, {@code tokens} tokens, the concurrency slot given back. */
    public List<LeaseUse> settle(long tokens) {
        if (!settled.compareAndSet(false, true) || parts.isEmpty()) {
            return List.of();
        }
        List<LeaseUse> uses = new ArrayList<>();
        int i = 0;
        while (i < parts.size()) {
            LocalBudget budget = parts.get(i).budget();
            int j = i;
            while (j < parts.size() && parts.get(j).budget() == budget) {
                j++;
            }
            long consumed = switch (budget.key.spec().dimension()) {
                case REQUESTS -> 1;
                case TOKENS -> tokens;
                case CONCURRENCY -> 0;
            };
            uses.addAll(budget.settle(parts.subList(i, j), consumed));
            i = j;
        }
        return uses;
    }
}
