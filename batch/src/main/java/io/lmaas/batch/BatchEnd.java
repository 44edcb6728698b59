package io.lmaas.batch;

import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.gateway.batches.BatchLedger;
import io.lmaas.gateway.batches.BatchOutputs;
import io.lmaas.gateway.batches.BatchRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a batch's attempt: the output and error files written from the committed chunks, recorded with the batch's end in
 * one transaction that holds only while the attempt is still the batch's; then the chunk files go. An end another
 * attempt overtook writes nothing that stays.
 */
final class BatchEnd {
    private static final Logger LOG = LoggerFactory.getLogger(BatchEnd.class);

    private final BatchRepository batches;
    private final BatchLedger ledger;
    private final BatchOutputs outputs;

    BatchEnd(BatchRepository batches, BatchLedger ledger, BatchOutputs outputs) {
        this.batches = batches;
        this.ledger = ledger;
        this.outputs = outputs;
    }

    /** Every line answered: completed (the job {@code succeeded}). */
    boolean completed(JobRecord job, DataKey key) throws Exception {
        BatchProcess.await(batches.progress(job.id(), job.attempt(), new JsonObject().put("finalizing_at", now())));
        return end(job, key, JobRecord.SUCCEEDED, new JsonObject().put("completed_at", now()), "the batch completed");
    }

    /** Cancelled: what was committed is kept. */
    boolean cancelled(JobRecord job, DataKey key) throws Exception {
        return end(job, key, JobRecord.CANCELLED, new JsonObject().put("cancelled_at", now()),
                "the batch was cancelled; its answered lines are kept");
    }

    /** Failed before a line ran (its input or model): {@code code} and {@code message} in the batch's errors. */
    boolean failed(JobRecord job, String code, String message) throws Exception {
        JsonObject errors = new JsonObject().put("object", "list").put("data", new JsonArray().add(new JsonObject()
                .put("code", code).put("message", message).put("param", "input_file_id").putNull("line")));
        return BatchProcess.await(batches.finish(job.id(), job.attempt(), JobRecord.FAILED, new JsonObject().put("failed_at", now())
                .put("errors", errors), message, List.of()));
    }

    private boolean end(JobRecord job, DataKey key, String status, JsonObject fields, String message) throws Exception {
        List<BatchLedger.Chunk> chunks = BatchProcess.await(ledger.chunks(job.id()));
        BatchOutputs.Written written = outputs.write(job.tenantId(), job.id(), chunks, key);
        boolean recorded = BatchProcess.await(batches.finish(job.id(), job.attempt(), status, fields.mergeIn(written.fields()), message,
                written.files()));
        if (!recorded) {
            LOG.info("batch {} attempt {}: another attempt owns the batch now; its end is not recorded", job.id(), job.attempt());
            outputs.discard(written);
            return false;
        }
        outputs.cleanUp(job.id());
        return true;
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }
}
