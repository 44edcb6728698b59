package io.lmaas.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.gateway.quota.LeaseUse;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The online ledger writer's group commit against a real PostgreSQL: rows, daily roll-ups and lease use, all or none. */
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
        Row k1 = one("SELECT requests, errors, prompt_tokens, completion_tokens FROM usage_daily WHERE tenant_id = $1"
                + " AND key_id = 'k1' AND model = 'm'", a);
        assertThat(List.of(k1.getLong(0), k1.getLong(1), k1.getLong(2), k1.getLong(3))).containsExactly(3L, 1L, 10L, 1L);
        Row noKey = one("SELECT requests, prompt_tokens FROM usage_daily WHERE tenant_id = $1 AND key_id = '' AND model = ''", a);
        assertThat(List.of(noKey.getLong(0), noKey.getLong(1))).containsExactly(1L, 2L);
        Row other = one("SELECT requests, prompt_tokens, completion_tokens FROM usage_daily WHERE tenant_id = $1", b);
        assertThat(List.of(other.getLong(0), other.getLong(1), other.getLong(2))).containsExactly(1L, 5L, 5L);
        // The day is the rows' own (created_at), not the gateway's clock.
        assertThat(one("SELECT count(*) AS c FROM usage_daily d WHERE tenant_id = $1 AND day = (SELECT"
                + " (max(created_at) AT TIME ZONE 'UTC')::date FROM usage_ledger WHERE tenant_id = $1)", a).getLong("c")).isEqualTo(2);
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
        Row daily = one("SELECT requests, prompt_tokens FROM usage_daily WHERE tenant_id = $1", tenant);
        assertThat(List.of(daily.getLong(0), daily.getLong(1))).containsExactly(1L, 1L);
        assertThat(one("SELECT used FROM quota_leases WHERE id = $1", lease).getLong("used")).isEqualTo(1);
        // The failed group's lease use is still settled (given back to the local budget), as after any failed commit.
        assertThat(settled).hasSize(2);
        // The writer goes on after a failed group.
        writer.append(row(id + "-next", tenant, "k", "m", 2, 0, 200), List.of()).await(10, TimeUnit.SECONDS);
        assertThat(one("SELECT requests FROM usage_daily WHERE tenant_id = $1", tenant).getLong(0)).isEqualTo(2);
    }

    @Test
    void aRowTheStatementCannotTakeFailsItsGroupAndTheWriterGoesOn() throws Exception {
        String tenant = gateways.tenant("ledger-group-bad");
        LedgerWriter writer = writer(new ArrayList<>());
        assertThatThrownBy(() -> writer.append(row("bad-" + System.nanoTime(), null, "k", "m", 1, 0, 200), List.of())
                .await(10, TimeUnit.SECONDS)).isNotNull();
        writer.append(row("good-" + System.nanoTime(), tenant, "k", "m", 1, 0, 200), List.of()).await(10, TimeUnit.SECONDS);
        assertThat(one("SELECT requests FROM usage_daily WHERE tenant_id = $1", tenant).getLong(0)).isEqualTo(1);
    }
}
