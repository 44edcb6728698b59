package io.lmaas.gateway.quota;

import java.time.Instant;

/**
 * One budget window: whose (a tenant or a key), what it counts, which window. Its {@link #id()} names the
 * window in PostgreSQL, so every gateway replica leases from the same row set.
 */
public record BudgetKey(Scope scope, String scopeId, Limits.Spec spec, Instant windowStart, Instant windowEnd) {

    /** Who a budget belongs to. */
    public enum Scope {
        TENANT,
        KEY
    }

    public static BudgetKey of(Scope scope, String scopeId, Limits.Spec spec, Instant now) {
        return new BudgetKey(scope, scopeId, spec, spec.period().windowStart(now), spec.period().windowEnd(now));
    }

    public String id() {
        return scope.name().toLowerCase() + ":" + scopeId + "/" + spec.field() + "/" + windowStart;
    }
}
