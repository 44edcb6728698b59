package io.lmaas.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The roll-ups against a real PostgreSQL: every ledger row counted once, whoever runs them and however often. */
class UsageRollupTest {
    private static Gateways gateways;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
    }

    private static void ledger(String tenant, int n, int status, int latency, double computeSeconds) throws Exception {
        for (int i = 0; i < n; i++) {
            gateways.pool.preparedQuery("INSERT INTO usage_ledger (request_id, tenant_id, model, endpoint, prompt_tokens,"
                            + " completion_tokens, status, latency_ms, compute_seconds) VALUES ($1, $2, 'm', '/v1/completions', 10, 5, $3, $4, $5)")
                    .execute(Tuple.of("rollup-" + System.nanoTime() + "-" + i, tenant, status, latency,
                            java.math.BigDecimal.valueOf(computeSeconds)))
                    .await(10, TimeUnit.SECONDS);
        }
    }

    /** {@code n} rows as the ledger writer writes them: their daily roll-up left to the pass. */
    private static void dailyByPass(String tenant, int n, int status) throws Exception {
        for (int i = 0; i < n; i++) {
            gateways.pool.preparedQuery("INSERT INTO usage_ledger (request_id, tenant_id, key_id, model, endpoint, prompt_tokens,"
                            + " completion_tokens, status, latency_ms, daily_by_pass) VALUES ($1, $2, 'k', 'm', '/v1/completions', 10, 5,"
                            + " $3, 1, true)")
                    .execute(Tuple.of("daily-" + System.nanoTime() + "-" + i, tenant, status)).await(10, TimeUnit.SECONDS);
        }
    }

    private static Row hourly(String tenant) throws Exception {
        var rows = gateways.pool.preparedQuery("SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(errors), 0) AS errors,"
                        + " coalesce(sum(prompt_tokens), 0) AS prompt, coalesce(max(latency_ms_max), 0) AS max_latency,"
                        + " coalesce(sum(latency_ms_sum), 0) AS latency FROM usage_hourly WHERE tenant_id = $1")
                .execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS);
        return rows.iterator().next();
    }

    @Test
    void everyRowIsCountedOnceEvenWithTwoRollupsAtOnce() throws Exception {
        String tenant = gateways.tenant("rollup-co");
        UsageRollup a = new UsageRollup(gateways.clientVertx(), gateways.pool);
        UsageRollup b = new UsageRollup(gateways.clientVertx(), gateways.pool);
        ledger(tenant, 7, 200, 10, 0);
        ledger(tenant, 3, 500, 40, 0);
        ledger(tenant, 2, 200, 60000, 12.5); // job rows (worker-seconds) are not API traffic
        for (int round = 0; round < 3; round++) {
            Future.all(List.of(a.runOnce(), b.runOnce())).await(10, TimeUnit.SECONDS);
        }
        Row r = hourly(tenant);
        assertThat(r.getLong("requests")).isEqualTo(10);
        assertThat(r.getLong("errors")).isEqualTo(3);
        assertThat(r.getLong("prompt")).isEqualTo(100);
        assertThat(r.getLong("latency")).isEqualTo(7 * 10 + 3 * 40);
        assertThat(r.getInteger("max_latency")).isEqualTo(40);

        ledger(tenant, 5, 200, 1, 0);
        a.runOnce().await(10, TimeUnit.SECONDS);
        a.runOnce().await(10, TimeUnit.SECONDS);
        assertThat(hourly(tenant).getLong("requests")).isEqualTo(15);
    }

    /**
     * A ledger transaction held open for 10 s while roll-ups run every 100 ms: its row is counted once it
     * commits (a time watermark with a 5 s lag passed it and never counted it), the rows committed before it
     * are counted while it is open, and the rows committed after it wait for it, then count once.
     */
    @Test
    void aRowWhoseTransactionCommitsLateIsCountedOnce() throws Exception {
        String tenant = gateways.tenant("rollup-late");
        UsageRollup rollup = new UsageRollup(gateways.clientVertx(), gateways.pool);
        ledger(tenant, 2, 200, 1, 0);
        var conn = gateways.pool.getConnection().await(10, TimeUnit.SECONDS);
        try {
            var tx = conn.begin().await(10, TimeUnit.SECONDS);
            conn.preparedQuery("INSERT INTO usage_ledger (request_id, tenant_id, model, endpoint, prompt_tokens,"
                            + " completion_tokens, status, latency_ms) VALUES ($1, $2, 'm', '/v1/completions', 10, 5, 200, 7)")
                    .execute(Tuple.of("rollup-late-" + System.nanoTime(), tenant)).await(10, TimeUnit.SECONDS);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean wroteAfter = false;
            while (System.nanoTime() < until) {
                rollup.runOnce().await(10, TimeUnit.SECONDS);
                if (!wroteAfter) {
                    ledger(tenant, 3, 200, 1, 0); // committed while the first is open: held back with it
                    wroteAfter = true;
                }
                Thread.sleep(100);
            }
            assertThat(hourly(tenant).getLong("requests")).as("rows before the open transaction, only").isEqualTo(2);
            tx.commit().await(10, TimeUnit.SECONDS);
        } finally {
            conn.close();
        }
        for (int i = 0; i < 3; i++) {
            rollup.runOnce().await(10, TimeUnit.SECONDS);
        }
        Row r = hourly(tenant);
        assertThat(r.getLong("requests")).isEqualTo(6);
        assertThat(r.getLong("latency")).isEqualTo(5 + 7);
    }

    /**
     * The daily pass adds the rows whose writer left their roll-up to it, once, with two passes at once; rows whose writer
     * added them to usage_daily itself (a replica of the version before, job rows) are left alone. The report counts each
     * row once before and after.
     */
    @Test
    void theDailyPassAddsTheRowsLeftToItOnce() throws Exception {
        String tenant = gateways.tenant("rollup-daily");
        UsageRollup a = new UsageRollup(gateways.clientVertx(), gateways.pool);
        UsageRollup b = new UsageRollup(gateways.clientVertx(), gateways.pool);
        UsageRepository usage = new UsageRepository(gateways.pool);
        dailyByPass(tenant, 4, 200);
        dailyByPass(tenant, 1, 429);
        ledger(tenant, 2, 200, 1, 0); // written with its roll-up by its own statement: the pass must not add it
        assertThat(usage.summary(tenant, null, null, null).await(10, TimeUnit.SECONDS).get(0).getLong("requests"))
                .as("before any pass: the rows left to it").isEqualTo(5);
        for (int round = 0; round < 3; round++) {
            Future.all(List.of(a.runOnce(), b.runOnce())).await(10, TimeUnit.SECONDS);
        }
        Row daily = gateways.pool.preparedQuery("SELECT coalesce(sum(requests), 0), coalesce(sum(errors), 0),"
                        + " coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) FROM usage_daily WHERE tenant_id = $1"
                        + " AND key_id = 'k' AND model = 'm'")
                .execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).iterator().next();
        assertThat(List.of(daily.getLong(0), daily.getLong(1), daily.getLong(2), daily.getLong(3))).containsExactly(5L, 1L, 50L, 25L);
        var total = usage.summary(tenant, null, null, null).await(10, TimeUnit.SECONDS).get(0);
        assertThat(List.of(total.getLong("requests"), total.getLong("errors"))).as("after the passes: counted once").containsExactly(5L, 1L);
    }
}
