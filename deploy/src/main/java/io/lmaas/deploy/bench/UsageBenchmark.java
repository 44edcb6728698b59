package io.lmaas.deploy.bench;

import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.usage.UsageRollup;
import io.lmaas.gateway.usage.LedgerWriter;
import io.lmaas.gateway.usage.OverviewService;
import io.lmaas.gateway.usage.UsageRepository;
import io.lmaas.gateway.usage.UsageRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code lmaas bench usage}: writes {@code rows} usage rows through the gateway's group-committed ledger
 * writer (10 tenants, 5 keys each, 3 models), then times the usage reports (from the daily roll-ups)
 * against the same figures computed from the raw ledger, and the newest-rows page.
 */
public final class UsageBenchmark {
    private UsageBenchmark() {
    }

    public static void run(int rows, boolean durable) throws Exception {
        EmbeddedDatabase database = EmbeddedDatabase.start(ScratchDirs.create("lmaas-usage-bench-").resolve("pg"), durable);
        Vertx vertx = Vertx.vertx();
        try {
            DatabaseUrl url = database.url();
            Migrations.migrate(url);
            Pool pool = Pools.create(vertx, url, 8);
            for (int t = 0; t < 10; t++) {
                pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ($1, $1)").execute(Tuple.of("t" + t))
                        .await(10, TimeUnit.SECONDS);
            }
            LedgerWriter ledger = new LedgerWriter(pool, vertx.getOrCreateContext(), uses -> { });
            Random random = new Random(1);
            String[] models = {"starter-classifier", "starter-generator", "ft:custom"};
            long t0 = System.nanoTime();
            int window = 4000;
            List<Future<Void>> pending = new ArrayList<>(window);
            for (int i = 0; i < rows; i++) {
                int tenant = random.nextInt(10);
                pending.add(ledger.append(new UsageRow(Ids.request(), null, "bench", "t" + tenant, "k" + tenant + random.nextInt(5),
                        models[random.nextInt(3)], "/v1/completions", 10 + random.nextInt(50), random.nextInt(200), 200, null,
                        3, null), List.of()));
                if (pending.size() == window) {
                    Future.all(pending).await(60, TimeUnit.SECONDS);
                    pending.clear();
                }
            }
            Future.all(pending).await(60, TimeUnit.SECONDS);
            double writeSeconds = (System.nanoTime() - t0) / 1e9;
            // The roll-ups (off the request path) catching up on the whole ledger: one pass each. The BRIN indexes are
            // summarized first, as autovacuum does within a minute of inserts (autosummarize, V20).
            pool.query("SELECT brin_summarize_new_values('usage_ledger_xact_brin')").execute().await(60, TimeUnit.SECONDS);
            pool.query("ANALYZE usage_ledger").execute().await(60, TimeUnit.SECONDS);
            long r0 = System.nanoTime();
            new UsageRollup(vertx, pool).runOnce().await(10, TimeUnit.MINUTES);
            double rollupSeconds = (System.nanoTime() - r0) / 1e9;
            // As online traffic writes: 16 answers waiting for their rows at a time, each row durable before its answer.
            // These rows stay past the daily pass's watermark: the reports below read them beside the roll-ups, as they
            // read what the last seconds wrote (a pass runs every 2 s; 20,000 rows is 2 s at 10,000 requests/s).
            int interactive = Math.min(rows, 20_000);
            long i0 = System.nanoTime();
            List<Future<Void>> inFlight = new ArrayList<>(16);
            for (int i = 0; i < interactive; i++) {
                inFlight.add(ledger.append(new UsageRow(Ids.request(), null, "bench", "t1", "k10", models[0], "/v1/completions",
                        20, 5, 200, null, 3, null), List.of()));
                if (inFlight.size() == 16) {
                    Future.all(inFlight).await(60, TimeUnit.SECONDS);
                    inFlight.clear();
                }
            }
            Future.all(inFlight).await(60, TimeUnit.SECONDS);
            double interactiveSeconds = (System.nanoTime() - i0) / 1e9;
            pool.query("SELECT brin_summarize_new_values('usage_ledger_xact_brin')").execute().await(60, TimeUnit.SECONDS);
            pool.query("ANALYZE").execute().await(60, TimeUnit.SECONDS);

            UsageRepository usage = new UsageRepository(pool);
            double rollup = p50(20, () -> usage.summary("t1", null, null, "model").await(60, TimeUnit.SECONDS));
            double rollupDay = p50(20, () -> usage.summary("t1", null, null, "day").await(60, TimeUnit.SECONDS));
            double raw = p50(5, () -> pool.preparedQuery("SELECT model, count(*), sum(prompt_tokens), sum(completion_tokens)"
                    + " FROM usage_ledger WHERE tenant_id = $1 GROUP BY model").execute(Tuple.of("t1")).await(60, TimeUnit.SECONDS));
            double page = p50(20, () -> usage.list("t1", null, null, 100).await(60, TimeUnit.SECONDS));

            // The console's overview over 30 days: hourly roll-ups filled for every hour, tenant and model of the
            // window (the most rows it can read: 720 × 10 × 3), against the same series from the raw ledger.
            pool.query("INSERT INTO usage_hourly (tenant_id, hour, model, requests, errors, prompt_tokens, completion_tokens,"
                    + " latency_ms_sum, latency_ms_max) SELECT 't' || t, date_trunc('hour', now()) - h * interval '1 hour', m, 10, 1,"
                    + " 300, 900, 40, 9 FROM generate_series(1, 719) h, generate_series(0, 9) t,"
                    + " unnest(ARRAY['starter-classifier', 'starter-generator', 'ft:custom']) m ON CONFLICT DO NOTHING")
                    .execute().await(60, TimeUnit.SECONDS);
            pool.query("ANALYZE usage_hourly").execute().await(60, TimeUnit.SECONDS);
            OverviewService overview = new OverviewService(pool);
            double overviewAll = p50(20, () -> overview.overview(null, 720, java.time.Instant.now()).await(60, TimeUnit.SECONDS));
            double overviewTenant = p50(20, () -> overview.overview(List.of("t3"), 720, java.time.Instant.now())
                    .await(60, TimeUnit.SECONDS));
            double overviewRaw = p50(5, () -> pool.query("SELECT date_trunc('hour', created_at), count(*), count(*) FILTER"
                    + " (WHERE status >= 400), sum(prompt_tokens), sum(completion_tokens), avg(latency_ms), max(latency_ms)"
                    + " FROM usage_ledger WHERE created_at >= now() - interval '720 hours' GROUP BY 1").execute()
                    .await(60, TimeUnit.SECONDS));

            System.out.println();
            System.out.println("| usage (" + rows + " ledger rows, 10 tenants) | value |");
            System.out.println("|---|---|");
            System.out.printf(Locale.ROOT, "| PostgreSQL durability | %s |%n", durable ? "fsync and synchronous_commit on (as lmaas up runs)"
                    : "fsync and synchronous_commit off (zonky's test settings, --durable=false)");
            System.out.printf(Locale.ROOT, "| ledger write throughput (group commit, one writer, 4,000 rows in flight) | %.0f rows/s |%n",
                    rows / writeSeconds);
            System.out.printf(Locale.ROOT, "| ledger write throughput, 16 rows in flight (%,d rows) | %.0f rows/s (%.2f ms per round of 16) |%n",
                    interactive, interactive / interactiveSeconds, interactiveSeconds * 1e3 / Math.ceil(interactive / 16.0));
            System.out.printf(Locale.ROOT, "| usage by model, from roll-ups and %,d rows not yet rolled up (p50) | %.2f ms |%n", interactive, rollup);
            System.out.printf(Locale.ROOT, "| usage by day, the same (p50) | %.2f ms |%n", rollupDay);
            System.out.printf(Locale.ROOT, "| same figures from the raw ledger (p50) | %.2f ms |%n", raw);
            System.out.printf(Locale.ROOT, "| raw / roll-up | %.0f× |%n", raw / rollup);
            System.out.printf(Locale.ROOT, "| newest 100 ledger rows (p50) | %.2f ms |%n", page);
            System.out.printf(Locale.ROOT, "| hourly and daily roll-ups of the whole ledger, one pass each | %.2f s (%.0f rows/s) |%n", rollupSeconds,
                    rows / rollupSeconds);
            System.out.printf(Locale.ROOT, "| console overview, 30 days, all tenants, from hourly roll-ups (p50) | %.2f ms |%n", overviewAll);
            System.out.printf(Locale.ROOT, "| console overview, 30 days, one tenant (p50) | %.2f ms |%n", overviewTenant);
            System.out.printf(Locale.ROOT, "| hourly series from the raw ledger (p50) | %.2f ms |%n", overviewRaw);
            System.out.printf(Locale.ROOT, "| raw / overview | %.1f× |%n", overviewRaw / overviewAll);
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
            database.close();
        }
    }

    /** Median wall time in milliseconds of {@code n} runs (after one warm-up). */
    private static double p50(int n, Callable<?> query) throws Exception {
        query.call();
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            query.call();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        java.util.Arrays.sort(ms);
        return ms[n / 2];
    }
}
