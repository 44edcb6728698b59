package io.lmaas.scheduler.admission;

import java.util.Map;

/**
 * A tenant's claim on GPUs, after Kueue's ClusterQueue: a nominal quota per flavor that is the tenant's
 * own, a cohort whose members lend each other idle quota (null: none), an optional cap on what the
 * tenant may borrow per flavor (absent: no cap), and a weight for fair sharing.
 */
public record TenantQueue(String tenant, int weight, String cohort, Map<String, Integer> nominal,
        Map<String, Integer> borrowingLimit) {

    public TenantQueue {
        if (weight <= 0) {
            throw new IllegalArgumentException("weight must be positive");
        }
        nominal = Map.copyOf(nominal);
        borrowingLimit = Map.copyOf(borrowingLimit);
    }

    public int nominal(String flavor) {
        return nominal.getOrDefault(flavor, 0);
    }

    /** How many GPUs of the flavor the tenant may hold at most (nominal plus what it may borrow). */
    public long ceiling(String flavor) {
        Integer limit = borrowingLimit.get(flavor);
        return cohort == null ? nominal(flavor) : limit == null ? Long.MAX_VALUE : (long) nominal(flavor) + limit;
    }
}
