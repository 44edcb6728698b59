package io.lmaas.gateway.quota;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Limits and budget leases in PostgreSQL (SQL only). Lease grants are serialised per budget with an
 * advisory transaction lock and checked against the limit stored now, so budget is never double-granted
 * whatever the replicas believe.
 */
public final class QuotaRepository {

    /** The outcome of a lease request. {@code leaseId} is null when nothing was granted. */
    public record Grant(Long leaseId, long amount, long availableAfter, boolean unlimited) {
    }

    /**
     * The leases whose ids are {@code ids} (an SQL array), locked in id order, as the FROM item {@code lk}; {@code after}, a
     * FROM item or "", is joined first (the ledger's statement names its insert there, so the locks come after it). Every
     * statement that updates several leases joins it, so any two lock them in one order. Without it, a plan reading the
     * table in its physical order (a hash join, a scan) and one probing the index in id order could each hold a lease
     * the other waits for: a deadlock PostgreSQL breaks only after {@code deadlock_timeout} (1 s) by failing one of them
     * (seen in the gateway bench: a ledger commit's 63 requests answered 503 after ~1.1 s).
     */
    static String leasesInIdOrder(String ids, String after) {
        return "(SELECT l.id FROM quota_leases l" + (after.isEmpty() ? "" : ", " + after) + " WHERE l.id = ANY(" + ids + ")"
                + " ORDER BY l.id FOR UPDATE OF l) lk";
    }

    /**
     * An update of the leases named by parameters {@code $first} (ids) and {@code $first+1} (amounts), as
     * {@link #withUses} adds them: the amounts summed per lease as {@code d.amount}, which {@code set} reads, and the
     * leases locked in id order ({@link #leasesInIdOrder}) after {@code after}.
     */
    static String updateLeases(String set, int first, String after) {
        String ids = "$" + first + "::bigint[]";
        return "UPDATE quota_leases q SET " + set + " FROM (SELECT id, sum(amount) AS amount FROM unnest(" + ids + ", $"
                + (first + 1) + "::bigint[]) AS u(id, amount) GROUP BY id) d, " + leasesInIdOrder(ids, after)
                + " WHERE q.id = d.id AND lk.id = d.id";
    }

    /** Adds {@code uses} to the leases' durable use: {@link #updateLeases} for parameters {@code $first} and on. */
    public static String addUses(int first, String after) {
        return updateLeases("used = q.used + d.amount", first, after);
    }

    /** {@code t} with {@code uses} appended as the two arrays {@link #updateLeases} reads: lease ids, then amounts. */
    public static Tuple withUses(Tuple t, List<LeaseUse> uses) {
        return t.addArrayOfLong(uses.stream().map(LeaseUse::leaseId).toArray(Long[]::new))
                .addArrayOfLong(uses.stream().map(LeaseUse::amount).toArray(Long[]::new));
    }

    private final Pool pool;

    public QuotaRepository(Pool pool) {
        this.pool = pool;
    }

    public Future<Limits> tenantLimits(String tenantId) {
        return pool.preparedQuery("SELECT rpm, tpm, tokens_per_day, tokens_per_month, max_concurrent FROM tenant_limits"
                        + " WHERE tenant_id = $1")
                .execute(Tuple.of(tenantId))
                .map(rows -> rows.size() == 0 ? Limits.UNLIMITED : toLimits(rows.iterator().next()));
    }

    /** Replaces the tenant's limits; returns the previous ones. */
    public static Future<Limits> putTenantLimits(SqlClient conn, String tenantId, Limits l) {
        return conn.preparedQuery("SELECT rpm, tpm, tokens_per_day, tokens_per_month, max_concurrent FROM tenant_limits"
                        + " WHERE tenant_id = $1 FOR UPDATE")
                .execute(Tuple.of(tenantId))
                .compose(before -> conn.preparedQuery("INSERT INTO tenant_limits (tenant_id, rpm, tpm, tokens_per_day,"
                                + " tokens_per_month, max_concurrent, updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())"
                                + " ON CONFLICT (tenant_id) DO UPDATE SET rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm,"
                                + " tokens_per_day = EXCLUDED.tokens_per_day, tokens_per_month = EXCLUDED.tokens_per_month,"
                                + " max_concurrent = EXCLUDED.max_concurrent, updated_at = now()")
                        .execute(Tuple.from(new Object[] {tenantId, l.rpm(), l.tpm(), l.tokensPerDay(), l.tokensPerMonth(),
                            l.maxConcurrent()}))
                        .map(before.size() == 0 ? Limits.UNLIMITED : toLimits(before.iterator().next())));
    }

    /**
     * Leases between {@code need} and {@code want} of the budget, as much as is available, or nothing if
     * less than {@code need} is. Live leases count in full, closed ones (released or expired) count what
     * they used; for gauges closed leases count nothing.
     */
    public Future<Grant> acquire(BudgetKey key, String gatewayId, long need, long want, Duration ttl) {
        String limitSql = switch (key.scope()) {
            case TENANT -> "SELECT " + key.spec().field() + " AS l FROM tenant_limits WHERE tenant_id = $1";
            case KEY -> "SELECT (limits ->> '" + key.spec().field() + "')::bigint AS l FROM api_keys WHERE id = $1";
        };
        String budget = key.id();
        return pool.withTransaction(conn -> lock(conn, key)
                .compose(r -> conn.preparedQuery(limitSql).execute(Tuple.of(key.scopeId())))
                .compose(rows -> {
                    Long limit = rows.size() == 0 ? null : rows.iterator().next().getLong("l");
                    if (limit == null) {
                        return Future.succeededFuture(new Grant(null, 0, 0, true));
                    }
                    return consumed(conn, key).compose(consumed -> {
                        long available = limit - consumed;
                        long amount = Math.min(want, available);
                        if (amount < need || amount <= 0) {
                            return Future.succeededFuture(new Grant(null, 0, Math.max(0, available), false));
                        }
                        return conn.preparedQuery("INSERT INTO quota_leases (budget, gateway_id, amount, window_end, expires_at)"
                                        + " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING id")
                                .execute(Tuple.of(budget, gatewayId, amount,
                                        OffsetDateTime.ofInstant(key.windowEnd(), ZoneOffset.UTC), (double) ttl.toMillis() / 1000))
                                .map(ins -> new Grant(ins.iterator().next().getLong("id"), amount, available - amount, false));
                    });
                }));
    }

    /**
     * Takes the budget's lock for the rest of the caller's transaction ({@code conn}): grants of the same budget, by any
     * gateway or batch worker, are serialised by it.
     */
    public static Future<Void> lock(SqlClient conn, BudgetKey key) {
        return conn.preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").execute(Tuple.of(key.id())).mapEmpty();
    }

    /**
     * What the budget's leases take from it (read under {@link #lock}): live leases in full, closed ones (released or
     * expired) by what they used; for gauges closed leases count nothing.
     */
    public static Future<Long> consumed(SqlClient conn, BudgetKey key) {
        String sql = key.spec().dimension().gauge()
                ? "SELECT coalesce(sum(amount), 0) AS c FROM quota_leases WHERE budget = $1 AND released_at IS NULL"
                        + " AND expires_at > now()"
                : "SELECT coalesce(sum(CASE WHEN released_at IS NULL AND expires_at > now() THEN amount ELSE used END), 0)"
                        + " AS c FROM quota_leases WHERE budget = $1";
        return conn.preparedQuery(sql).execute(Tuple.of(key.id())).map(rows -> rows.iterator().next().getLong("c"));
    }

    /**
     * Records {@code used} units spent outright by {@code holder} (under {@link #lock}, in the caller's transaction) as a
     * closed lease, which every replica counts by its use.
     */
    public static Future<Void> spent(SqlClient conn, BudgetKey key, String holder, long used) {
        return conn.preparedQuery("INSERT INTO quota_leases (budget, gateway_id, amount, used, window_end, expires_at, released_at)"
                        + " VALUES ($1, $2, $3, $3, $4, now(), now())")
                .execute(Tuple.of(key.id(), holder, used, OffsetDateTime.ofInstant(key.windowEnd(), ZoneOffset.UTC))).mapEmpty();
    }

    /** Extends the given leases if still live; returns the ids that are. */
    public Future<Set<Long>> extend(List<Long> leaseIds, Duration ttl) {
        return pool.preparedQuery("UPDATE quota_leases q SET expires_at = now() + make_interval(secs => $2)"
                        + " FROM " + leasesInIdOrder("$1::bigint[]", "") + " WHERE q.id = lk.id AND q.released_at IS NULL"
                        + " AND q.expires_at > now() RETURNING q.id")
                .execute(Tuple.tuple().addArrayOfLong(leaseIds.toArray(new Long[0])).addDouble((double) ttl.toMillis() / 1000))
                .map(rows -> {
                    Set<Long> alive = new HashSet<>();
                    rows.forEach(r -> alive.add(r.getLong("id")));
                    return alive;
                });
    }

    /** Gives leases back: what they did not use returns to the budget. */
    public Future<Void> release(List<Long> leaseIds) {
        if (leaseIds.isEmpty()) {
            return Future.succeededFuture();
        }
        return pool.preparedQuery("UPDATE quota_leases q SET released_at = now() FROM " + leasesInIdOrder("$1::bigint[]", "")
                        + " WHERE q.id = lk.id AND q.released_at IS NULL")
                .execute(Tuple.tuple().addArrayOfLong(leaseIds.toArray(new Long[0])))
                .mapEmpty();
    }

    /** Asks every replica to give back the unreserved units it holds of the budget. */
    public Future<Void> askReclaim(String budgetId, String askingGatewayId) {
        return pool.preparedQuery("SELECT pg_notify('lmaas_quota_reclaim', $1)").execute(Tuple.of(budgetId + " " + askingGatewayId))
                .mapEmpty();
    }

    /** Takes unreserved units off live leases: they return to their budget at once. */
    public Future<Void> shrink(List<LeaseUse> giveBack) {
        if (giveBack.isEmpty()) {
            return Future.succeededFuture();
        }
        return pool.preparedQuery(updateLeases("amount = q.amount - d.amount", 1, "")).execute(withUses(Tuple.tuple(), giveBack))
                .mapEmpty();
    }

    /** Deletes leases of windows that ended more than a day ago. */
    public Future<Integer> deleteOldLeases() {
        return pool.query("DELETE FROM quota_leases WHERE window_end < now() - interval '1 day'").execute()
                .map(r -> r.rowCount());
    }

    /** Adds durable use to leases (in the caller's transaction: the ledger's). */
    public static Future<Void> addUse(SqlClient conn, Long[] leaseIds, Long[] amounts) {
        if (leaseIds.length == 0) {
            return Future.succeededFuture();
        }
        return conn.preparedQuery(addUses(1, "")).execute(Tuple.tuple().addArrayOfLong(leaseIds).addArrayOfLong(amounts))
                .mapEmpty();
    }

    static Limits toLimits(Row r) {
        return new Limits(r.getLong("rpm"), r.getLong("tpm"), r.getLong("tokens_per_day"), r.getLong("tokens_per_month"),
                r.getLong("max_concurrent"));
    }
}
