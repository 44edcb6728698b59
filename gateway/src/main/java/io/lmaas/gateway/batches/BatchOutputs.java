package io.lmaas.gateway.batches;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.files.FileRecord;
import io.lmaas.core.ids.Ids;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch's output and error files, written when it ends from its committed chunks (blocking I/O): the tenant's
 * {@code batch_output} files, sealed with its key; a file with no line is not kept. The files' rows are recorded with
 * the batch's end by the caller ({@link BatchRepository#finish}), then the working directory goes ({@link #cleanUp}).
 */
public final class BatchOutputs {
    private final ArtifactStore store;

    public BatchOutputs(ArtifactStore store) {
        this.store = store;
    }

    /** The files written and the result fields that name them ({@code output_file_id}, {@code error_file_id}). */
    public record Written(List<FileRecord> files, JsonObject fields) {
    }

    public BatchChunkFiles chunkFiles(String batchId) {
        return new BatchChunkFiles(store.job(batchId));
    }

    /** Writes the output and error files of {@code chunks} (committed, in line order) for the tenant's batch. */
    public Written write(String tenantId, String batchId, List<BatchLedger.Chunk> chunks, DataKey key) throws Exception {
        if (chunks.isEmpty()) {
            return new Written(List.of(), new JsonObject());
        }
        String outId = Ids.file();
        String errId = Ids.file();
        Path out = store.file(tenantId, outId);
        Path err = store.file(tenantId, errId);
        Files.createDirectories(out.getParent());
        BatchChunkFiles.Assembled a;
        try {
            a = chunkFiles(batchId).assemble(chunks, key, out, err);
        } catch (Exception e) {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            throw e;
        }
        List<FileRecord> files = new ArrayList<>();
        JsonObject fields = new JsonObject();
        if (a.answered() > 0) {
            files.add(new FileRecord(outId, tenantId, "batch_output", batchId + "_output.jsonl", a.answeredBytes(),
                    ArtifactStore.uri(out), "batch_output", a.answered(), null));
            fields.put("output_file_id", outId);
        } else {
            Files.deleteIfExists(out);
        }
        if (a.failed() > 0) {
            files.add(new FileRecord(errId, tenantId, "batch_output", batchId + "_error.jsonl", a.failedBytes(),
                    ArtifactStore.uri(err), "batch_output", a.failed(), null));
            fields.put("error_file_id", errId);
        } else {
            Files.deleteIfExists(err);
        }
        return new Written(files, fields);
    }

    /** Removes files written for an end that was not recorded (another attempt took the batch over). */
    public void discard(Written w) throws Exception {
        for (FileRecord f : w.files()) {
            Files.deleteIfExists(ArtifactStore.path(f.artifactUri()));
        }
    }

    /** Removes the batch's working directory (its chunk files), once its end is recorded. */
    public void cleanUp(String batchId) throws Exception {
        chunkFiles(batchId).delete();
    }
}
