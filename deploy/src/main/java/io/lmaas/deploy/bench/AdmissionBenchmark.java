package io.lmaas.deploy.bench;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.gateway.quota.Admission;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.quota.QuotaRepository;
import io.lmaas.gateway.quota.QuotaService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code lmaas bench admission} (JMH): the cost of one admission decision in-process — a request
 * admitted against a tenant's five budgets (rpm, tpm, tokens per day and month, concurrency) plus a key's
 * rpm, then settled. Real PostgreSQL behind the leases. Three lease sizes ({@code leases}): {@code held} — the
 * default slice (a sixteenth of each limit, limits far above the load), so admissions are served from leases this
 * replica already holds and never leave memory; {@code per16} — slices of about 16 requests' tokens, so every
 * ~16th admission acquires a lease against PostgreSQL; {@code per1} — slices of one request's reservation, so
 * every admission acquires its token budgets' leases against PostgreSQL (the worst case: a budget nearly used up,
 * or one with far more replicas than slices).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AdmissionBenchmark {
    /** Every budget's limit: far above what a run uses (~120 tokens per admission, a few million admissions). */
    private static final long LIMIT = 600_000_000_000L;

    /** How large a lease slice is: see the class comment. */
    @Param({"held", "per16", "per1"})
    public String leases;

    private EmbeddedDatabase database;
    private Vertx vertx;
    private QuotaService quota;
    private Limits keyLimits;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        database = EmbeddedDatabase.start(ScratchDirs.create("lmaas-admission-bench-").resolve("pg"));
        DatabaseUrl url = database.url();
        Migrations.migrate(url);
        vertx = Vertx.vertx();
        Pool pool = Pools.create(vertx, url, 4);
        pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ('bench', 'bench')").execute().await(10, TimeUnit.SECONDS);
        Limits tenant = new Limits(LIMIT, LIMIT, LIMIT, LIMIT, LIMIT);
        pool.withTransaction(c -> QuotaRepository.putTenantLimits(c, "bench", tenant)).await(10, TimeUnit.SECONDS);
        keyLimits = new Limits(LIMIT, null, null, null, null);
        pool.preparedQuery("INSERT INTO api_keys (id, tenant_id, name, secret_hash, last4, limits) VALUES ('k', 'bench', 'k',"
                + " '\\x00', 'abcd', $1)").execute(Tuple.of(keyLimits.toJson())).await(10, TimeUnit.SECONDS);
        QuotaService.Settings d = QuotaService.Settings.DEFAULT;
        int divisor = switch (leases) {
            case "held" -> d.sliceDivisor();
            case "per16" -> (int) (LIMIT / (16 * 120)); // a slice of ~16 settled requests' tokens
            case "per1" -> (int) (LIMIT / 300); // a slice of one request's reservation
            default -> throw new IllegalArgumentException("leases: held, per16 or per1");
        };
        quota = new QuotaService(vertx, new QuotaRepository(pool), "bench", Clock.systemUTC(),
                new QuotaService.Settings(d.leaseTtl(), d.heartbeat(), d.idleRelease(), divisor, d.reclaimWait()));
        quota.start();
        quota.admit("bench", "k", keyLimits, 100).await(10, TimeUnit.SECONDS).settle(50);
    }

    @Benchmark
    public Admission admitAndSettle() throws Exception {
        Future<Admission> f = quota.admit("bench", "k", keyLimits, 300);
        Admission a = f.isComplete() ? f.result() : f.await(10, TimeUnit.SECONDS);
        a.settle(120);
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        quota.close();
        vertx.close().await(10, TimeUnit.SECONDS);
        database.close();
    }

    public static void run() throws Exception {
        var results = new Runner(new OptionsBuilder().include(AdmissionBenchmark.class.getName())
                .jvmArgsAppend("-Xmx512m").build()).run();
        System.out.println();
        System.out.println("| admission (6 budgets) | leases | p50 | p90 | p99 | p99.9 | samples |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (RunResult result : results) {
            var stats = result.getPrimaryResult().getStatistics();
            System.out.printf(Locale.ROOT, "| admit + settle | %s | %.2f µs | %.2f µs | %.2f µs | %.2f µs | %d |%n",
                    result.getParams().getParam("leases"), stats.getPercentile(50), stats.getPercentile(90),
                    stats.getPercentile(99), stats.getPercentile(99.9), stats.getN());
        }
    }
}
