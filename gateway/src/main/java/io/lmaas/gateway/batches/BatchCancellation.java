package io.lmaas.gateway.batches;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.crypto.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Clock;

/**
 * Cancels batches, for the tenant API and the admin API alike: a batch no worker was admitted for ends at once, the
 * lines a preempted attempt had committed written to its output files; a running one's worker is asked to stop (it
 * ends the batch {@code cancelled} with what it answered), and the batch is {@code cancelling} until it has.
 */
public final class BatchCancellation {
    private final Vertx vertx;
    private final BatchRepository batches;
    private final BatchLedger ledger;
    private final BatchOutputs outputs;
    private final TenantKeys keys;

    public BatchCancellation(Vertx vertx, Pool pool, ArtifactStore store, TenantKeys keys) {
        this.vertx = vertx;
        this.batches = new BatchRepository(pool);
        this.ledger = new BatchLedger(pool, Clock.systemUTC());
        this.outputs = new BatchOutputs(store);
        this.keys = keys;
    }

    /** True if the batch was cancelled or asked to stop (or already was asked); false if it had already ended. */
    public Future<Boolean> cancel(BatchRecord b) {
        return batches.cancel(b.tenantId(), b.id()).compose(outcome -> switch (outcome) {
            case NOT_ACTIVE -> Future.succeededFuture(false);
            case ASKED -> Future.succeededFuture(true);
            case ENDED -> ledger.chunks(b.id()).compose(chunks -> chunks.isEmpty() ? Future.succeededFuture(true)
                    : keys.of(b.tenantId())
                            .compose(key -> vertx.executeBlocking(() -> outputs.write(b.tenantId(), b.id(), chunks, key), false))
                            .compose(written -> batches.recordFiles(b.id(), written))
                            .compose(v -> vertx.executeBlocking(() -> {
                                outputs.cleanUp(b.id());
                                return true;
                            }, false)));
        });
    }
}
