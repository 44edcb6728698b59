package io.lmaas.core.jobs;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * Meters a job attempt's worker-seconds into the usage ledger (SQL only), one row per attempt, keyed
 * {@code job-<id>-<attempt>} so a retried write cannot bill twice. The tokens it trained on ride along.
 */
public final class ComputeMetering {
    private final Pool pool;

    public ComputeMetering(Pool pool) {
        this.pool = pool;
    }

    public Future<Void> record(JobRecord job, String endpoint, String model, long trainedTokens, int status, String errorCode,
            long millis) {
        return pool.preparedQuery("INSERT INTO usage_ledger (request_id, tenant_id, model, endpoint, prompt_tokens, status,"
                        + " error_code, latency_ms, compute_seconds, gateway_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'worker')"
                        + " ON CONFLICT (request_id) DO NOTHING")
                .execute(Tuple.wrap(java.util.Arrays.asList("job-" + job.id() + "-" + job.attempt(), job.tenantId(), model, endpoint,
                        (int) Math.min(Integer.MAX_VALUE, trainedTokens), status, errorCode,
                        (int) Math.min(Integer.MAX_VALUE, millis), new java.math.BigDecimal(millis / 1000.0).setScale(3,
                                java.math.RoundingMode.HALF_UP))))
                .mapEmpty();
    }
}
