package io.lmaas.gateway.usage;

import io.lmaas.core.tasks.PeriodicTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code usage_hourly} (the console's overview) from the ledger, off the request path: every few
 * seconds one gateway (the state row is taken {@code FOR UPDATE SKIP LOCKED}) adds the API-request rows
 * written since the last pass, then moves the watermark, in one transaction.
 *
 * <p>The watermark follows commit order, not time (V13): each ledger row carries its writing transaction's
 * id, and a pass takes the rows whose id is at or past the watermark and below its own snapshot's
 * {@code xmin}. Every transaction below {@code xmin} has ended, so its rows are visible to the pass (or
 * were rolled back), and the next pass starts at that {@code xmin}: each row is counted exactly once, however
 * late its transaction commits. A transaction held open holds the roll-up back, never a row out of it.
 * Job rows (worker-seconds) are not API traffic and stay out.
 */
public final class HourlyRollup {
    private static final Logger LOG = LoggerFactory.getLogger(HourlyRollup.class);

    private static final String ROLL = "WITH state AS (SELECT xact_watermark AS lo FROM usage_rollup_state WHERE name = 'hourly'"
            + " FOR UPDATE SKIP LOCKED),"
            + " bounds AS (SELECT lo, greatest(lo, pg_snapshot_xmin(pg_current_snapshot())::text::bigint) AS hi FROM state),"
            + " rolled AS (INSERT INTO usage_hourly (tenant_id, hour, model, requests, errors, prompt_tokens, completion_tokens,"
            + " latency_ms_sum, latency_ms_max)"
            + " SELECT l.tenant_id, date_trunc('hour', l.created_at), coalesce(l.model, ''), count(*),"
            + " count(*) FILTER (WHERE l.status >= 400), sum(l.prompt_tokens), sum(l.completion_tokens), sum(l.latency_ms),"
            + " max(l.latency_ms) FROM usage_ledger l, bounds b WHERE l.xact >= b.lo AND l.xact < b.hi"
            + " AND l.compute_seconds = 0 GROUP BY 1, 2, 3"
            + " ON CONFLICT (tenant_id, hour, model) DO UPDATE SET requests = usage_hourly.requests + EXCLUDED.requests,"
            + " errors = usage_hourly.errors + EXCLUDED.errors, prompt_tokens = usage_hourly.prompt_tokens + EXCLUDED.prompt_tokens,"
            + " completion_tokens = usage_hourly.completion_tokens + EXCLUDED.completion_tokens,"
            + " latency_ms_sum = usage_hourly.latency_ms_sum + EXCLUDED.latency_ms_sum,"
            + " latency_ms_max = greatest(usage_hourly.latency_ms_max, EXCLUDED.latency_ms_max))"
            // (a data-modifying WITH runs whether or not it is referenced; all parts see one snapshot, the
            // statement's, which is also the one pg_current_snapshot() reports)
            + " UPDATE usage_rollup_state s SET xact_watermark = b.hi FROM bounds b WHERE s.name = 'hourly'";

    private final Vertx vertx;
    private final Pool pool;
    private PeriodicTask task;

    public HourlyRollup(Vertx vertx, Pool pool) {
        this.vertx = vertx;
        this.pool = pool;
    }

    public void start(Duration every) {
        task = PeriodicTask.start(vertx, every, this::runOnce, LOG, "hourly usage roll-up");
    }

    /** One pass: adds the rows past the watermark (if no other gateway holds it) and moves it. */
    public Future<Void> runOnce() {
        return pool.withTransaction(conn -> conn.query(ROLL).execute().mapEmpty());
    }

    public void close() {
        if (task != null) {
            task.close();
        }
    }
}
