package io.lmaas.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.gateway.quota.LeaseUse;
import io.lmaas.gateway.quota.QuotaRepository;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.core.db.Pools;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The online ledger writer's group commit against a real PostgreSQL: rows and lease use, all or none; the usage report
 * exact at once, from the rows, and the same once the roll-up pass has added them to the daily roll-ups.
 */
class LedgerWriterTest {
    private static Gateways gateways;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
    }

    private static UsageRow row(String id, String tenant, String key, String model, int prompt, int completion, int status) {
        return new UsageRow(id, null, "gw-test", tenant, key, model, "/v1/classifications", prompt, completion, status,
                status >= 400 ? "bad_request" : null, 3, null);
    }

    private static long lease(String tenant) throws Exception {
        return gateways.pool.preparedQuery("INSERT INTO quota_leases (budget, gateway_id, amount, window_end, expires_at)"
                        + " VALUES ($1, 'gw-test', 1000, now() + interval '1 hour', now() + interval '1 hour') RETURNING id")
                .execute(Tuple.of("tenant:" + tenant + "/tpm/test")).await(10, TimeUnit.SECONDS).iterator().next().getLong("id");
    }

    private static Row one(String sql, Object... params) throws Exception {
        return gateways.pool.preparedQuery(sql).execute(Tuple.wrap(Arrays.asList(params))).await(10, TimeUnit.SECONDS)
                .iterator().next();
    }

    /** Tenant {@code tenant}'s usage report, grouped by {@code groupBy}. */
    private static List<JsonObject> report(String tenant, String groupBy) throws Exception {
        return new UsageRepository(gateways.pool).summary(tenant, null, null, groupBy).await(10, TimeUnit.SECONDS);
    }

    private static void assertSums(String a, String b) throws Exception {
        List<JsonObject> byKey = report(a, "key");
        assertThat(byKey).hasSize(2);
        JsonObject k1 = byKey.get(0).getString("key_id") == null ? byKey.get(1) : byKey.get(0);
        JsonObject noKey = byKey.get(0).getString("key_id") == null ? byKey.get(0) : byKey.get(1);
        assertThat(k1.getString("key_id")).isEqualTo("k1");
        assertThat(List.of(k1.getLong("requests"), k1.getLong("errors"), k1.getLong("prompt_tokens"), k1.getLong("completion_tokens")))
                .containsExactly(3L, 1L, 10L, 1L);
        assertThat(List.of(noKey.getLong("requests"), noKey.getLong("prompt_tokens"))).containsExactly(1L, 2L);
        JsonObject other = report(b, null).get(0);
        assertThat(List.of(other.getLong("requests"), other.getLong("prompt_tokens"), other.getLong("completion_tokens")))
                .containsExactly(1L, 5L, 5L);
    }

    private static LedgerWriter writer(List<LeaseUse> settled) {
        return new LedgerWriter(gateways.pool, gateways.clientVertx().getOrCreateContext(), settled::addAll);
    }

    @Test
    void aGroupWritesItsRowsTheirDailySumsAndTheLeasesUse() throws Exception {
        String a = gateways.tenant("ledger-group-a");
        String b = gateways.tenant("ledger-group-b");
        long leaseA = lease(a);
        long leaseB = lease(b);
        List<LeaseUse> settled = new ArrayList<>();
        LedgerWriter writer = writer(settled);
        String run = Long.toString(System.nanoTime(), 36);
        // Appended together, so most land in one group commit; the sums must not depend on how they were grouped.
        List<Future<Void>> appends = List.of(
                writer.append(row(run + "-1", a, "k1", "m", 4, 0, 200), List.of(new LeaseUse(leaseA, 4))),
                writer.append(row(run + "-2", a, "k1", "m", 6, 1, 200), List.of(new LeaseUse(leaseA, 7))),
                writer.append(row(run + "-3", a, "k1", "m", 0, 0, 400), List.of()),
                writer.append(row(run + "-4", a, null, null, 2, 0, 200), List.of(new LeaseUse(leaseA, 2))),
                writer.append(row(run + "-5", b, "k2", "m", 5, 5, 200), List.of(new LeaseUse(leaseB, 10))));
        Future.all(appends).await(10, TimeUnit.SECONDS);

        assertThat(one("SELECT count(*) AS c FROM usage_ledger WHERE request_id LIKE $1", run + "-%").getLong("c")).isEqualTo(5);
        // The report is exact before any roll-up pass, from the rows; the same after the pass, from the roll-ups.
        assertSums(a, b);
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            new UsageRollup(gateways.clientVertx(), gateways.pool).runOnce().await(10, TimeUnit.SECONDS);
            assertThat(one("SELECT coalesce(sum(requests), 0) FROM usage_daily WHERE tenant_id = $1", a).getLong(0)).isEqualTo(4);
        });
        Row k1 = one("SELECT requests, errors, prompt_tokens, completion_tokens FROM usage_daily WHERE tenant_id = $1"
                + " AND key_id = 'k1' AND model = 'm'", a);
        assertThat(List.of(k1.getLong(0), k1.getLong(1), k1.getLong(2), k1.getLong(3))).containsExactly(3L, 1L, 10L, 1L);
        // The day is the rows' own (created_at), not the gateway's clock.
        assertThat(one("SELECT count(*) AS c FROM usage_daily d WHERE tenant_id = $1 AND day = (SELECT"
                + " (max(created_at) AT TIME ZONE 'UTC')::date FROM usage_ledger WHERE tenant_id = $1)", a).getLong("c")).isEqualTo(2);
        assertSums(a, b);
        assertThat(one("SELECT used FROM quota_leases WHERE id = $1", leaseA).getLong("used")).isEqualTo(13);
        assertThat(one("SELECT used FROM quota_leases WHERE id = $1", leaseB).getLong("used")).isEqualTo(10);
        assertThat(settled).hasSize(4);
    }

    @Test
    void aRequestIdAlreadyInTheLedgerFailsItsWholeGroupAndCountsNothing() throws Exception {
        String tenant = gateways.tenant("ledger-group-dup");
        long lease = lease(tenant);
        List<LeaseUse> settled = new ArrayList<>();
        LedgerWriter writer = writer(settled);
        String id = "dup-" + System.nanoTime();
        writer.append(row(id, tenant, "k", "m", 1, 0, 200), List.of(new LeaseUse(lease, 1))).await(10, TimeUnit.SECONDS);

        assertThatThrownBy(() -> writer.append(row(id, tenant, "k", "m", 50, 0, 200), List.of(new LeaseUse(lease, 50)))
                .await(10, TimeUnit.SECONDS)).isNotNull();

        assertThat(one("SELECT count(*) AS c FROM usage_ledger WHERE tenant_id = $1", tenant).getLong("c")).isEqualTo(1);
        JsonObject total = report(tenant, null).get(0);
        assertThat(List.of(total.getLong("requests"), total.getLong("prompt_tokens"))).containsExactly(1L, 1L);
        assertThat(one("SELECT used FROM quota_leases WHERE id = $1", lease).getLong("used")).isEqualTo(1);
        // The failed group's lease use is still settled (given back to the local budget), as after any failed commit.
        assertThat(settled).hasSize(2);
        // The writer goes on after a failed group.
        writer.append(row(id + "-next", tenant, "k", "m", 2, 0, 200), List.of()).await(10, TimeUnit.SECONDS);
        assertThat(report(tenant, null).get(0).getLong("requests")).isEqualTo(2);
    }

    @Test
    void aRowTheStatementCannotTakeFailsItsGroupAndTheWriterGoesOn() throws Exception {
        String tenant = gateways.tenant("ledger-group-bad");
        LedgerWriter writer = writer(new ArrayList<>());
        assertThatThrownBy(() -> writer.append(row("bad-" + System.nanoTime(), null, "k", "m", 1, 0, 200), List.of())
                .await(10, TimeUnit.SECONDS)).isNotNull();
        writer.append(row("good-" + System.nanoTime(), tenant, "k", "m", 1, 0, 200), List.of()).await(10, TimeUnit.SECONDS);
        assertThat(report(tenant, null).get(0).getLong("requests")).isEqualTo(1);
    }

    /**
     * Every statement that updates several of a replica's leases (the ledger's commit, the heartbeat, a give-back) locks
     * them in id order, whatever plan PostgreSQL picks, so no two of them deadlock. Before, each locked them in its plan's
     * order: a hash join in the order it probes, a scan in the table's physical order, which every update reshuffles.
     * The deadlocks were broken after 1 s by failing one side (a ledger commit's requests answered 503; seen in the
     * gateway bench, reproduced with pgbench: 16 in 15 s). Here the lowest lease is moved to the end of the physical order,
     * index scans are off, and the lowest lease is held: a statement locking in id order waits for it holding no other.
     */
    @Test
    void statementsUpdatingSeveralLeasesLockThemInIdOrder() throws Exception {
        String tenant = gateways.tenant("ledger-lock-order");
        List<Long> leases = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            leases.add(lease(tenant));
        }
        one("UPDATE quota_leases SET used = used WHERE id = $1 RETURNING id", leases.get(0)); // now last in a scan
        Pool scans = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
                .connectingTo(Pools.connectOptions(gateways.database).addProperty("enable_indexscan", "off")
                        .addProperty("enable_bitmapscan", "off"))
                .using(gateways.clientVertx()).build();
        try {
            QuotaRepository quota = new QuotaRepository(scans);
            LedgerWriter writer = new LedgerWriter(scans, gateways.clientVertx().getOrCreateContext(), u -> { });
            List<LeaseUse> uses = leases.stream().map(id -> new LeaseUse(id, 1)).toList();
            assertLocksInIdOrder(leases, () -> quota.extend(leases, Duration.ofSeconds(30)));
            assertLocksInIdOrder(leases, () -> quota.shrink(leases.stream().map(id -> new LeaseUse(id, 0)).toList()));
            assertLocksInIdOrder(leases, () -> writer.append(row("lock-order-" + System.nanoTime(), tenant, "k", "m", 1, 0, 200), uses));
            for (long id : leases) {
                assertThat(one("SELECT used FROM quota_leases WHERE id = $1", id).getLong("used")).isEqualTo(1);
            }
        } finally {
            scans.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Holds the lowest lease, runs {@code statement}, and once it waits, takes the other leases at once (NOWAIT). */
    private static void assertLocksInIdOrder(List<Long> leases, Supplier<Future<?>> statement) throws Exception {
        SqlConnection holder = gateways.pool.getConnection().await(10, TimeUnit.SECONDS);
        try {
            Transaction held = holder.begin().await(10, TimeUnit.SECONDS);
            holder.preparedQuery("SELECT id FROM quota_leases WHERE id = $1 FOR UPDATE").execute(Tuple.of(leases.get(0)))
                    .await(10, TimeUnit.SECONDS);
            Future<?> running = statement.get();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> one("SELECT count(*) FROM pg_stat_activity"
                    + " WHERE wait_event_type = 'Lock' AND query LIKE '%quota_leases%' AND pid <> pg_backend_pid()").getLong(0) > 0);
            SqlConnection probe = gateways.pool.getConnection().await(10, TimeUnit.SECONDS);
            try {
                Transaction t = probe.begin().await(10, TimeUnit.SECONDS);
                probe.preparedQuery("SELECT id FROM quota_leases WHERE id = ANY($1) FOR UPDATE NOWAIT")
                        .execute(Tuple.tuple().addArrayOfLong(leases.subList(1, leases.size()).toArray(Long[]::new)))
                        .await(10, TimeUnit.SECONDS);
                t.rollback().await(10, TimeUnit.SECONDS);
            } finally {
                probe.close().await(10, TimeUnit.SECONDS);
            }
            held.commit().await(10, TimeUnit.SECONDS);
            running.await(10, TimeUnit.SECONDS);
        } finally {
            holder.close().await(10, TimeUnit.SECONDS);
        }
    }
}
