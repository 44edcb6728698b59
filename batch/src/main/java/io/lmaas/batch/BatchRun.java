package io.lmaas.batch;

import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.batches.BatchChunkFiles;
import io.lmaas.gateway.batches.BatchLedger;
import io.lmaas.gateway.batches.BatchLines;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt's answering of a batch: from the line its progress is at, a chunk at a time, every line of a chunk in
 * flight together (the serving core batches them), the chunk's answers written sealed to the attempt's chunk file, then
 * committed ({@link BatchLedger}) while the next chunks are answered ({@link #AHEAD} of them in flight before the
 * write). A commit found stale (another attempt owns the batch, or it ended) ends the run; a stop ends it without
 * committing the chunks in flight (their lines are answered again by the next attempt, if any). Once the budgets refuse a chunk's last line, later lines are not computed: each becomes a
 * {@code quota_exceeded} error, committed the same way.
 */
final class BatchRun {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRun.class);

    /** How the run ended. */
    enum End {
        /** Every line is committed. */
        DONE,
        /** Stopped (cancelled, preempted, out of its time): the lines not committed are left. */
        STOPPED,
        /** Another attempt owns the batch, or it ended: nothing more of this attempt counts. */
        STALE
    }

    /** Progress after a commit: lines committed in all, lines committed by this attempt, its seconds so far. */
    record Progress(int linesDone, int total, int linesThisAttempt, double seconds) {
    }

    /** Chunks in flight beyond the one being collected. */
    private static final int AHEAD = 2;

    private final BatchLedger ledger;
    private final BatchLedger.Batch batch;
    private final int attempt;
    private final String runner;
    private final BatchChunkFiles files;
    private final DataKey key;
    private final BatchLines.Model model;
    private final int chunkLines;
    private final BooleanSupplier stop;
    private final Consumer<Progress> progress;

    BatchRun(BatchLedger ledger, BatchLedger.Batch batch, int attempt, String runner, BatchChunkFiles files, DataKey key,
            BatchLines.Model model, int chunkLines, BooleanSupplier stop, Consumer<Progress> progress) {
        this.ledger = ledger;
        this.batch = batch;
        this.attempt = attempt;
        this.runner = runner;
        this.files = files;
        this.key = key;
        this.model = model;
        this.chunkLines = chunkLines;
        this.stop = stop;
        this.progress = progress;
    }

    /** A chunk answered and written, waiting for its commit. */
    private record Chunk(int from, List<BatchLedger.Line> lines) {
    }

    End run(List<JsonObject> requests, int from) throws Exception {
        long started = System.nanoTime();
        int next = from;
        CompletableFuture<BatchLedger.Committed> committing = null;
        Chunk pending = null;
        boolean budgetsSpent = false;
        // AHEAD chunks are put in flight before this one is written and committed, so the serving core always has lines
        // queued while this thread collects, writes and commits (with one chunk ahead, the two threads took turns). Once
        // a commit says the budgets are spent, the chunks in flight are dropped and no further chunk is computed (the
        // chunk collected before that was known is refused line by line at its commit, as the budgets say).
        ArrayDeque<List<CompletableFuture<BatchLines.Answered>>> inFlight = new ArrayDeque<>();
        int submitted = next;
        while (submitted < requests.size() && inFlight.size() < 1 + AHEAD) {
            int end = Math.min(requests.size(), submitted + chunkLines);
            inFlight.add(submit(requests, submitted, end));
            submitted = end;
        }
        while (next < requests.size()) {
            int end = Math.min(requests.size(), next + chunkLines);
            List<CompletableFuture<BatchLines.Answered>> chunk = inFlight.poll();
            List<BatchLines.Answered> answers = chunk != null ? collect(chunk, next, end) : refused(requests, next, end);
            if (answers == null) {
                return awaitLast(committing, started, from) == End.STALE ? End.STALE : End.STOPPED;
            }
            if (submitted < requests.size() && !budgetsSpent) {
                int following = Math.min(requests.size(), submitted + chunkLines);
                inFlight.add(submit(requests, submitted, following));
                submitted = following;
            }
            List<BatchLedger.Line> outcomes = new ArrayList<>(answers.size());
            List<JsonObject> lines = new ArrayList<>(answers.size());
            for (BatchLines.Answered a : answers) {
                outcomes.add(a.outcome());
                lines.add(a.line());
            }
            files.write(next, attempt, lines, key);
            if (committing != null) {
                BatchLedger.Committed c = committing.get();
                if (c.stale()) {
                    return End.STALE;
                }
                if (exhausted(c, pending)) {
                    budgetsSpent = true;
                    inFlight.clear(); // what they answer would be refused: their lines become quota_exceeded errors
                }
                report(c, started, from);
            }
            pending = new Chunk(next, outcomes);
            committing = ledger.commit(batch, attempt, runner, next, outcomes).toCompletionStage().toCompletableFuture();
            next = end;
        }
        End last = awaitLast(committing, started, from);
        return last == End.STALE ? End.STALE : End.DONE;
    }

    private End awaitLast(CompletableFuture<BatchLedger.Committed> committing, long started, int from) throws Exception {
        if (committing == null) {
            return End.DONE;
        }
        BatchLedger.Committed c = committing.get();
        if (c.stale()) {
            return End.STALE;
        }
        report(c, started, from);
        return End.DONE;
    }

    private void report(BatchLedger.Committed c, long started, int from) {
        progress.accept(new Progress(c.linesDone(), batch.totalLines(), c.linesDone() - from, (System.nanoTime() - started) / 1e9));
    }

    /** Whether the budgets refused the chunk's last line: later lines would be refused too (until a budget's period turns). */
    private static boolean exhausted(BatchLedger.Committed c, Chunk chunk) {
        int last = chunk.from() + chunk.lines().size() - 1;
        return !c.refused().isEmpty() && c.refused().get(c.refused().size() - 1) == last;
    }

    /** Puts the chunk's lines in flight, all at once (the serving core batches them). */
    private List<CompletableFuture<BatchLines.Answered>> submit(List<JsonObject> requests, int from, int end) {
        long created = Instant.now().getEpochSecond();
        List<CompletableFuture<BatchLines.Answered>> inFlight = new ArrayList<>(end - from);
        for (int i = from; i < end; i++) {
            String requestId = Ids.batchRequest();
            long t0 = System.nanoTime();
            Future<BatchLines.Answered> a = BatchLines.answer(batch.endpoint(), requests.get(i), model, requestId, created)
                    .map(x -> x.withLatency((System.nanoTime() - t0) / 1_000_000));
            inFlight.add(a.toCompletionStage().toCompletableFuture());
        }
        return inFlight;
    }

    /** The chunk's answers once all are in; null if the run was stopped before they were. */
    private List<BatchLines.Answered> collect(List<CompletableFuture<BatchLines.Answered>> inFlight, int from, int end)
            throws Exception {
        CompletableFuture<Void> all = CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0]));
        while (true) {
            if (stop.getAsBoolean()) {
                LOG.info("batch {}: stopping with lines {} to {} in flight (not committed)", batch.id(), from, end - 1);
                return null;
            }
            try {
                all.get(200, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                // check the stop flag again
            }
        }
        List<BatchLines.Answered> out = new ArrayList<>(inFlight.size());
        for (CompletableFuture<BatchLines.Answered> f : inFlight) {
            out.add(f.get());
        }
        return out;
    }

    /** Lines not computed because the budgets are spent: each a {@code quota_exceeded} error. */
    private static List<BatchLines.Answered> refused(List<JsonObject> requests, int from, int end) {
        List<BatchLines.Answered> out = new ArrayList<>(end - from);
        for (int i = from; i < end; i++) {
            out.add(BatchLines.refusedByBudget(Ids.batchRequest(), requests.get(i).getString("custom_id")));
        }
        return out;
    }
}
