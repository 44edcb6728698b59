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
import java.nio.file.Files;
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
 * rpm, from leases this replica holds, then settled. Real PostgreSQL behind the leases.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AdmissionBenchmark {
    private static final long HUGE = 1_000_000_000_000L;
    private EmbeddedDatabase database;
    private Vertx vertx;
    private QuotaService quota;
    private Limits keyLimits;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        database = EmbeddedDatabase.start(Files.createTempDirectory("lmaas-admission-bench-").resolve("pg"));
        DatabaseUrl url = database.url();
        Migrations.migrate(url);
        vertx = Vertx.vertx();
        Pool pool = Pools.create(vertx, url, 4);
        pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ('bench', 'bench')").execute().await(10, TimeUnit.SECONDS);
        Limits tenant = new Limits(HUGE, HUGE, HUGE, HUGE, HUGE);
        pool.withTransaction(c -> QuotaRepository.putTenantLimits(c, "bench", tenant)).await(10, TimeUnit.SECONDS);
        keyLimits = new Limits(HUGE, null, null, null, null);
        pool.preparedQuery("INSERT INTO api_keys (id, tenant_id, name, secret_hash, last4, limits) VALUES ('k', 'bench', 'k',"
                + " '\\x00', 'abcd', $1)").execute(Tuple.of(keyLimits.toJson())).await(10, TimeUnit.SECONDS);
        quota = new QuotaService(vertx, new QuotaRepository(pool), "bench", Clock.systemUTC(), QuotaService.Settings.DEFAULT);
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
        RunResult result = new Runner(new OptionsBuilder().include(AdmissionBenchmark.class.getName())
                .jvmArgsAppend("-Xmx512m").build()).runSingle();
        var stats = result.getPrimaryResult().getStatistics();
        System.out.println();
        System.out.println("| admission (6 budgets, local leases) | value |");
        System.out.println("|---|---|");
        for (double p : new double[] {50, 90, 99, 99.9}) {
            System.out.printf(Locale.ROOT, "| p%s | %.2f µs |%n", p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p),
                    stats.getPercentile(p));
        }
        System.out.printf(Locale.ROOT, "| samples | %d |%n", stats.getN());
    }
}
