package io.lmaas.gateway.usage;

import io.lmaas.gateway.quota.LeaseUse;
import io.lmaas.gateway.quota.QuotaRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes usage rows with group commit: rows that arrive while a transaction is in flight go together in
 * the next one. Each transaction inserts the rows and records the quota leases' durable use ({@link LedgerGroup}: a
 * request id already in the ledger fails the commit); the roll-ups are the roll-up pass's ({@link UsageRollup}).
 * {@link #append} completes when its row is durable.
 * All state lives on one Vert.x context; any event loop may append. Metrics: rows waiting
 * ({@code lmaas_gateway_ledger_queue_depth}), commit latency and rows per commit, failed commits.
 */
public final class LedgerWriter {
    private static final int MAX_BATCH = 1000;

    private record Pending(UsageRow row, List<LeaseUse> uses, Promise<Void> done) {
    }

    private final Pool pool;
    private final Context context;
    private final Consumer<List<LeaseUse>> onUseSettled;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final Timer commits;
    private final DistributionSummary rowsPerCommit;
    private final Counter failedCommits;
    private volatile int waiting;
    private boolean flushing;
    private Promise<Void> drained;

    /** {@code onUseSettled} hears of lease uses once their transaction ended, committed or not. */
    public LedgerWriter(Pool pool, Context context, Consumer<List<LeaseUse>> onUseSettled) {
        this(pool, context, onUseSettled, new SimpleMeterRegistry(), Tags.empty());
    }

    public LedgerWriter(Pool pool, Context context, Consumer<List<LeaseUse>> onUseSettled, MeterRegistry metrics, Tags tags) {
        this.pool = pool;
        this.context = context;
        this.onUseSettled = onUseSettled;
        Gauge.builder("lmaas_gateway_ledger_queue_depth", this, w -> w.waiting).tags(tags)
                .description("usage rows waiting for a commit (in flight included)").register(metrics);
        commits = Timer.builder("lmaas_gateway_ledger_commit").tags(tags).publishPercentileHistogram()
                .description("time to write and commit one group of usage rows").register(metrics);
        rowsPerCommit = DistributionSummary.builder("lmaas_gateway_ledger_rows_per_commit").tags(tags)
                .description("usage rows per group commit").register(metrics);
        failedCommits = Counter.builder("lmaas_gateway_ledger_failed_commits").tags(tags)
                .description("group commits that failed (their requests answered 503)").register(metrics);
    }

    /**
     * Queues the row; the future completes, on the caller's context, once the row is durable. One writer
     * serves every event loop of a replica, so concurrent requests share commits.
     */
    public Future<Void> append(UsageRow row, List<LeaseUse> uses) {
        Context caller = Vertx.currentContext();
        Promise<Void> durable = Promise.promise();
        Promise<Void> done = Promise.promise();
        durable.future().onComplete(ar -> {
            if (caller == null || caller == Vertx.currentContext()) {
                done.handle(ar);
            } else {
                caller.runOnContext(v -> done.handle(ar));
            }
        });
        context.runOnContext(v -> {
            queue.add(new Pending(row, uses, durable));
            waiting++;
            if (!flushing) {
                flush();
            }
        });
        return done.future();
    }

    /** Completes once everything appended so far is written (for shutdown). */
    public Future<Void> drain() {
        Promise<Void> p = Promise.promise();
        context.runOnContext(v -> {
            if (!flushing && queue.isEmpty()) {
                p.complete();
            } else {
                drained = p;
            }
        });
        return p.future();
    }

    private void flush() {
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
        while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
            batch.add(queue.poll());
        }
        flushing = true;
        Timer.Sample started = Timer.start();
        write(batch).onComplete(ar -> {
            started.stop(commits);
            rowsPerCommit.record(batch.size());
            waiting -= batch.size();
            if (ar.failed()) {
                failedCommits.increment();
            }
            List<LeaseUse> uses = new ArrayList<>();
            batch.forEach(p -> uses.addAll(p.uses()));
            onUseSettled.accept(uses);
            for (Pending p : batch) {
                if (ar.succeeded()) {
                    p.done().complete();
                } else {
                    p.done().fail(ar.cause());
                }
            }
            flushing = false;
            if (!queue.isEmpty()) {
                flush();
            } else if (drained != null) {
                drained.complete();
                drained = null;
            }
        });
    }

    private Future<Void> write(List<Pending> batch) {
        List<UsageRow> rows = new ArrayList<>(batch.size());
        List<LeaseUse> uses = new ArrayList<>();
        for (Pending p : batch) {
            rows.add(p.row());
            uses.addAll(p.uses());
        }
        LedgerGroup group;
        try {
            group = LedgerGroup.of(rows, uses);
        } catch (RuntimeException e) { // a row the statement could not take fails its group, never the writer
            return Future.failedFuture(e);
        }
        return pool.preparedQuery(LedgerGroup.STATEMENT).execute(group.parameters()).mapEmpty();
    }

    /**
     * Writes {@code rows} to the ledger and adds {@code uses} to their leases, in one statement (atomic on its own, one
     * round trip; inside the caller's transaction when {@code client} is one). A row whose request id is already in the
     * ledger is skipped: batch lines, which a resumed batch may write again, go through here. The roll-up pass adds the
     * rows to the roll-ups, so a skipped row is never counted twice.
     */
    public static Future<Void> insert(SqlClient client, List<UsageRow> batch, List<LeaseUse> uses) {
        return client.preparedQuery(WRITE).execute(QuotaRepository.withUses(LedgerGroup.rowColumns(batch), uses)).mapEmpty();
    }

    private static final String WRITE = "WITH ins AS (" + LedgerGroup.INSERT_ROWS + " ON CONFLICT (request_id) DO NOTHING),"
            + " leases AS (" + QuotaRepository.addUses(13, "") + ") SELECT 1";
}
