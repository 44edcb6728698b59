package io.lmaas.gateway.usage;

import io.lmaas.core.tasks.PeriodicTask;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the ledger's roll-ups off the request path: {@code usage_hourly} (the console's overview) and {@code usage_daily}
 * (usage reports). Every few seconds, for each roll-up, one gateway (its state row is taken {@code FOR UPDATE SKIP
 * LOCKED}) adds the rows written since that roll-up's last pass, then moves its watermark, in one transaction.
 *
 * <p>A watermark follows commit order, not time (V13): each ledger row carries its writing transaction's id, and a pass
 * takes the rows whose id is at or past the watermark and below its own snapshot's {@code xmin}. Every transaction below
 * {@code xmin} has ended, so its rows are visible to the pass (or were rolled back), and the next pass starts at that
 * {@code xmin}: each row is counted exactly once, however late its transaction commits. A transaction held open holds
 * the roll-up back, never a row out of it. Job rows (worker-seconds) are not API traffic and stay out of both; the daily
 * pass takes only rows whose writer left their daily roll-up to it ({@code daily_by_pass}, V21), and reports read the
 * rows past its watermark beside it ({@link UsageRepository#summary}), so they are exact between passes.
 */
public final class UsageRollup {
    private static final Logger LOG = LoggerFactory.getLogger(UsageRollup.class);

    /** The state row {@code name}'s pass: {@code rollup} inserts from {@code l}, the ledger rows past its watermark. */
    private static String pass(String name, String rollup) {
        return "WITH state AS (SELECT xact_watermark AS lo FROM usage_rollup_state WHERE name = '" + name + "'"
                + " FOR UPDATE SKIP LOCKED),"
                + " bounds AS (SELECT lo, greatest(lo, pg_snapshot_xmin(pg_current_snapshot())::text::bigint) AS hi FROM state),"
                + " rolled AS (" + rollup + ")"
                // (a data-modifying WITH runs whether or not it is referenced; all parts see one snapshot, the
                // statement's, which is also the one pg_current_snapshot() reports)
                + " UPDATE usage_rollup_state s SET xact_watermark = b.hi FROM bounds b WHERE s.name = '" + name + "'";
    }

    /** The rows of {@code l}, the ledger, that a pass bounded by {@code b} takes. */
    private static final String PAST_WATERMARK = " FROM usage_ledger l, bounds b WHERE l.xact >= b.lo AND l.xact < b.hi"
            + " AND l.compute_seconds = 0";

    private static final String HOURLY = pass("hourly", "INSERT INTO usage_hourly (tenant_id, hour, model, requests, errors,"
            + " prompt_tokens, completion_tokens, latency_ms_sum, latency_ms_max)"
            + " SELECT l.tenant_id, date_trunc('hour', l.created_at), coalesce(l.model, ''), count(*),"
            + " count(*) FILTER (WHERE l.status >= 400), sum(l.prompt_tokens), sum(l.completion_tokens), sum(l.latency_ms),"
            + " max(l.latency_ms)" + PAST_WATERMARK + " GROUP BY 1, 2, 3"
            + " ON CONFLICT (tenant_id, hour, model) DO UPDATE SET requests = usage_hourly.requests + EXCLUDED.requests,"
            + " errors = usage_hourly.errors + EXCLUDED.errors, prompt_tokens = usage_hourly.prompt_tokens + EXCLUDED.prompt_tokens,"
            + " completion_tokens = usage_hourly.completion_tokens + EXCLUDED.completion_tokens,"
            + " latency_ms_sum = usage_hourly.latency_ms_sum + EXCLUDED.latency_ms_sum,"
            + " latency_ms_max = greatest(usage_hourly.latency_ms_max, EXCLUDED.latency_ms_max)");

    private static final String DAILY = pass("daily", "INSERT INTO usage_daily (tenant_id, day, key_id, model, requests, errors,"
            + " prompt_tokens, completion_tokens)"
            + " SELECT l.tenant_id, (l.created_at AT TIME ZONE 'UTC')::date, coalesce(l.key_id, ''), coalesce(l.model, ''),"
            + " count(*), count(*) FILTER (WHERE l.status >= 400), sum(l.prompt_tokens), sum(l.completion_tokens)"
            + PAST_WATERMARK + " AND l.daily_by_pass GROUP BY 1, 2, 3, 4"
            + " ON CONFLICT (tenant_id, day, key_id, model) DO UPDATE SET requests = usage_daily.requests + EXCLUDED.requests,"
            + " errors = usage_daily.errors + EXCLUDED.errors, prompt_tokens = usage_daily.prompt_tokens + EXCLUDED.prompt_tokens,"
            + " completion_tokens = usage_daily.completion_tokens + EXCLUDED.completion_tokens");

    private final Vertx vertx;
    private final Pool pool;
    private PeriodicTask task;

    public UsageRollup(Vertx vertx, Pool pool) {
        this.vertx = vertx;
        this.pool = pool;
    }

    public void start(Duration every) {
        task = PeriodicTask.start(vertx, every, this::runOnce, LOG, "usage roll-ups");
    }

    /**
     * One pass of each roll-up: adds the rows past its watermark (unless another gateway holds it) and moves it. The two
     * are separate transactions, side by side, so one roll-up's failure or lock never holds the other back; the future
     * completes when both have ended, failed if either failed.
     */
    public Future<Void> runOnce() {
        return Future.join(pool.withTransaction(conn -> conn.query(HOURLY).execute()),
                pool.withTransaction(conn -> conn.query(DAILY).execute())).mapEmpty();
    }

    public void close() {
        if (task != null) {
            task.close();
        }
    }
}
