package io.lmaas.gateway.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Pools;
import io.lmaas.gateway.changes.ChangeFeed;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several replicas' quota services leasing from one real PostgreSQL. */
class QuotaServiceTest {
    private static final QuotaService.Settings FAST = new QuotaService.Settings(Duration.ofMillis(1500),
            Duration.ofMillis(500), Duration.ofMillis(300), 16, Duration.ofMillis(100));
    private Vertx vertx;
    private DatabaseUrl url;
    private Pool pool;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        url = TestDatabases.fresh();
        pool = Pools.create(vertx, url, 8);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private String tenant(String id, Limits limits) throws Exception {
        pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ($1, $1)").execute(Tuple.of(id)).await(5, TimeUnit.SECONDS);
        pool.withTransaction(c -> QuotaRepository.putTenantLimits(c, id, limits)).await(5, TimeUnit.SECONDS);
        return id;
    }

    private QuotaService replica(String id) throws Exception {
        QuotaService q = new QuotaService(vertx, new QuotaRepository(pool), id, Clock.systemUTC(), FAST);
        q.start();
        ChangeFeed feed = new ChangeFeed(vertx, Pools.connectOptions(url), new ChangeFeed.Listeners(k -> q.keyChanged(k),
                q::tenantLimitsChanged, q::reclaim, q::invalidateAll));
        feed.start().await(5, TimeUnit.SECONDS);
        return q;
    }

    /** Admits and immediately settles, making the use durable the way the ledger does; true if admitted. */
    private boolean request(QuotaService q, String tenant, long tokens, long used) throws Exception {
        try {
            Admission a = q.admit(tenant, "k", Limits.UNLIMITED, tokens).await(10, TimeUnit.SECONDS);
            List<LeaseUse> uses = a.settle(used);
            Long[] ids = uses.stream().map(LeaseUse::leaseId).toArray(Long[]::new);
            Long[] amounts = uses.stream().map(LeaseUse::amount).toArray(Long[]::new);
            pool.withTransaction(c -> QuotaRepository.addUse(c, ids, amounts)).await(5, TimeUnit.SECONDS);
            q.flushed(uses);
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    private static ApiException denial(Future<Admission> f) throws Exception {
        settled(List.of(f));
        assertThat(f.failed()).as("admission should have been refused").isTrue();
        return (ApiException) f.cause();
    }

    private static void settled(List<Future<Admission>> all) throws Exception {
        Future.join(all).otherwiseEmpty().await(20, TimeUnit.SECONDS);
    }

    private void awaitWindowRoom() {
        await().atMost(Duration.ofSeconds(40)).until(() -> java.time.Instant.now().atZone(java.time.ZoneOffset.UTC)
                .getSecond() < 52);
    }

    @Test
    void threeReplicasAdmitExactlyTheLimitOfRequests() throws Exception {
        String t = tenant("t-rpm", new Limits(37L, null, null, null, null));
        List<QuotaService> replicas = List.of(replica("a"), replica("b"), replica("c"));
        awaitWindowRoom();
        List<Future<Admission>> all = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            all.add(replicas.get(i % 3).admit(t, "k", Limits.UNLIMITED, 1));
        }
        settled(all);
        long admitted = all.stream().filter(Future::succeeded).count();
        assertThat(admitted).isEqualTo(37);
        assertThat(all.stream().filter(Future::failed).map(f -> ((ApiException) f.cause()).status())).containsOnly(429);
    }

    @Test
    void tokensAdmittedNeverExceedTheBudgetAndSettleReturnsTheRest() throws Exception {
        String t = tenant("t-day", new Limits(null, null, 1000L, null, null));
        List<QuotaService> replicas = List.of(replica("a"), replica("b"), replica("c"));
        AtomicInteger used = new AtomicInteger();
        int refusedInARow = 0;
        for (int i = 0; refusedInARow < 6; i++) {
            // Reserve 40, use 25: without settlement only 25 requests would fit; with it, 40.
            if (request(replicas.get(i % 3), t, 40, 25)) {
                used.addAndGet(25);
                refusedInARow = 0;
            } else {
                refusedInARow++;
            }
        }
        assertThat(used.get()).isLessThanOrEqualTo(1000).isGreaterThan(1000 - 3 * 40 - 3 * 63);
        long durable = pool.query("SELECT coalesce(sum(used), 0) AS u FROM quota_leases").execute()
                .await(5, TimeUnit.SECONDS).iterator().next().getLong("u");
        assertThat(durable).isEqualTo(used.get());
        ApiException e = denial(replicas.get(0).admit(t, "k", Limits.UNLIMITED, 900));
        assertThat(e.status()).isEqualTo(402);
        assertThat(e.code()).isEqualTo("quota_exceeded");
    }

    @Test
    void aReplicaThatDiesLosesItsLeaseOnlyUntilItExpires() throws Exception {
        String t = tenant("t-crash", new Limits(null, null, 320L, null, null));
        QuotaService doomed = replica("doomed");
        QuotaService survivor = replica("survivor");
        // The doomed replica admits a 40-token request and dies before it ends: no settlement, no heartbeat.
        doomed.admit(t, "k", Limits.UNLIMITED, 40).await(5, TimeUnit.SECONDS);
        doomed.close();
        int admitted = 0;
        while (request(survivor, t, 20, 20)) {
            admitted++;
        }
        assertThat(admitted).isEqualTo(14);
        // Once the lease expires its unused 40 tokens return: two more requests, and never more.
        await().atMost(Duration.ofSeconds(5)).until(() -> request(survivor, t, 20, 20));
        assertThat(request(survivor, t, 20, 20)).isTrue();
        assertThat(request(survivor, t, 20, 20)).isFalse();
    }

    @Test
    void concurrencyIsAGaugeAcrossReplicas() throws Exception {
        String t = tenant("t-conc", new Limits(null, null, null, null, 3L));
        QuotaService a = replica("a");
        QuotaService b = replica("b");
        Admission a1 = a.admit(t, "k", Limits.UNLIMITED, 1).await(5, TimeUnit.SECONDS);
        Admission b1 = b.admit(t, "k", Limits.UNLIMITED, 1).await(5, TimeUnit.SECONDS);
        Admission b2 = b.admit(t, "k", Limits.UNLIMITED, 1).await(5, TimeUnit.SECONDS);
        ApiException fourth = denial(a.admit(t, "k", Limits.UNLIMITED, 1));
        assertThat(fourth.code()).isEqualTo("concurrency_limit_exceeded");
        b1.settle(0);
        b2.settle(0);
        // b's slots go back to PostgreSQL once idle; then a may take one.
        await().atMost(Duration.ofSeconds(5)).until(() -> a.admit(t, "k", Limits.UNLIMITED, 1).map(x -> true)
                .otherwise(false).await(5, TimeUnit.SECONDS));
        a1.settle(0);
    }

    @Test
    void keyLimitsApplyBesideTenantLimitsAndLimitChangesAreSeen() throws Exception {
        String t = tenant("t-key", Limits.UNLIMITED);
        // An unlimited tenant is admitted without any lease.
        assertThat(replica("z").admit(t, "k0", Limits.UNLIMITED, 10).await(5, TimeUnit.SECONDS)).isSameAs(Admission.UNLIMITED);
        pool.preparedQuery("INSERT INTO api_keys (id, tenant_id, name, secret_hash, last4, limits) VALUES ('k1', $1, 'n', '\\x00', 'abcd', $2)")
                .execute(Tuple.of(t, new JsonObject().put("rpm", 2))).await(5, TimeUnit.SECONDS);
        QuotaService q = replica("a");
        awaitWindowRoom();
        Limits keyLimits = new Limits(2L, null, null, null, null);
        int ok = 0;
        for (int i = 0; i < 5; i++) {
            if (q.admit(t, "k1", keyLimits, 1).map(x -> true).otherwise(false).await(5, TimeUnit.SECONDS)) {
                ok++;
            }
        }
        assertThat(ok).isEqualTo(2);
        // A tenant limit set now applies at once on this replica (the gateway wires the change feed to this call).
        pool.withTransaction(c -> QuotaRepository.putTenantLimits(c, t, new Limits(null, null, null, null, 0L)))
                .await(5, TimeUnit.SECONDS);
        q.tenantLimitsChanged(t);
        assertThat(denial(q.admit(t, "k2", Limits.UNLIMITED, 1)).code()).isEqualTo("concurrency_limit_exceeded");
    }
}
