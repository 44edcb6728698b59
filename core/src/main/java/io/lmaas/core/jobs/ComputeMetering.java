package io.lmaas.core.jobs;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * Meters a job attempt's worker-seconds into the usage ledger (SQL only), one row per attempt, keyed
 * {@code job-<id>-<attempt>} so a retried write cannot bill twice, and into the daily roll-up. The tokens it
 * trained on ride along.
 */
public final class ComputeMetering {
    private final Pool pool;

    public ComputeMetering(Pool pool) {
        this.pool = pool;
    }

    public Future<Void> record(JobRecord job, String endpoint, String model, long trainedTokens, int status, String errorCode,
            long millis) {
        // One statement: the ledger row and its daily roll-up (reports show worker-seconds beside tokens). Jobs stay
        // out of the hourly roll-up: the console's request latency is about API calls.
        return pool.preparedQuery("WITH ins AS (INSERT INTO usage_ledger (request_id, tenant_id, model, endpoint, prompt_tokens,"
                        + " status, error_code, latency_ms, compute_seconds, gateway_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'worker')"
                        + " ON CONFLICT (request_id) DO NOTHING RETURNING tenant_id, model, prompt_tokens, status, compute_seconds, created_at)"
                        + " INSERT INTO usage_daily (tenant_id, day, key_id, model, requests, errors, prompt_tokens, completion_tokens,"
                        + " compute_seconds) SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, '', coalesce(model, ''), 1,"
                        + " CASE WHEN status >= 400 THEN 1 ELSE 0 END, prompt_tokens, 0, compute_seconds FROM ins"
                        + " ON CONFLICT (tenant_id, day, key_id, model) DO UPDATE SET requests = usage_daily.requests + 1,"
                        + " errors = usage_daily.errors + EXCLUDED.errors, prompt_tokens = usage_daily.prompt_tokens + EXCLUDED.prompt_tokens,"
                        + " compute_seconds = usage_daily.compute_seconds + EXCLUDED.compute_seconds")
                .execute(Tuple.wrap(java.util.Arrays.asList("job-" + job.id() + "-" + job.attempt(), job.tenantId(), model, endpoint,
                        (int) Math.min(Integer.MAX_VALUE, trainedTokens), status, errorCode,
                        (int) Math.min(Integer.MAX_VALUE, millis), new java.math.BigDecimal(millis / 1000.0).setScale(3,
                                java.math.RoundingMode.HALF_UP))))
                .mapEmpty();
    }
}
