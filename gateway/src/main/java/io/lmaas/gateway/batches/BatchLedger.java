package io.lmaas.gateway.batches;

import io.lmaas.gateway.quota.BudgetKey;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.quota.QuotaRepository;
import io.lmaas.gateway.usage.LedgerWriter;
import io.lmaas.gateway.usage.UsageRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Commits a batch's lines a chunk at a time, exactly once, in one transaction per chunk: the chunk's ledger rows (one
 * per line), its use of the tenant's and the key's daily and monthly token budgets, the chunk's record and the batch's
 * progress. The transaction goes ahead only if the batch is still on the committing attempt and its progress is where
 * the chunk starts; otherwise it is {@link Committed#stale() stale} and nothing is written — so a line is committed once
 * whatever attempt ran it, and a preempted or killed attempt's work is either all in or not at all.
 *
 * <p>Budgets apply per line, in line order, as for online calls: a line whose tokens no longer fit every budget it
 * counts against has its answer withheld (an error {@code quota_exceeded}, metered as a 402 with no tokens). Budgets are
 * read and spent under the same advisory lock as the gateways' leases ({@link QuotaRepository}),
 * and what the chunk spent is recorded as a closed lease, which every gateway counts as used.
 */
public final class BatchLedger {
    /** A request's outcome as the attempt computed it (its answer is in the attempt's chunk file). */
    public record Line(String requestId, int promptTokens, int completionTokens, int status, String errorCode,
            long latencyMs) {
        long tokens() {
            return (long) promptTokens + completionTokens;
        }

        boolean answered() {
            return status == 200;
        }
    }

    /**
     * What a commit decided: the answered requests the budgets refused (by index among the batch's requests), and the
     * batch's progress and counts after it.
     */
    public record Committed(boolean stale, List<Integer> refused, int linesDone, int completed, int failed) {
        static final Committed STALE = new Committed(true, List.of(), 0, 0, 0);
    }

    /** Who the batch runs for and what it runs: fixed for its whole life. */
    public record Batch(String id, String tenantId, String keyId, String model, String endpoint, int totalLines) {
    }

    private final Pool pool;
    private final Clock clock;

    public BatchLedger(Pool pool, Clock clock) {
        this.pool = pool;
        this.clock = clock;
    }

    /**
     * Commits {@code lines}, the batch's requests {@code from} to {@code from + lines.size() - 1} (indexes among its
     * requests), for {@code attempt} of the batch, the work of {@code runner} (the ledger's gateway column).
     */
    public Future<Committed> commit(Batch b, int attempt, String runner, int from, List<Line> lines) {
        if (lines.isEmpty()) {
            return Future.failedFuture(new IllegalArgumentException("a chunk has at least one line"));
        }
        Instant now = clock.instant();
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT attempt, finished_at, coalesce((result->>'lines_done')::int, 0) AS done,"
                        + " coalesce((result->'request_counts'->>'completed')::int, 0) AS completed,"
                        + " coalesce((result->'request_counts'->>'failed')::int, 0) AS failed FROM jobs WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(b.id())).compose(rows -> {
                    Row job = rows.size() == 0 ? null : rows.iterator().next();
                    if (job == null || job.getInteger("attempt") != attempt || job.getValue("finished_at") != null
                            || job.getInteger("done") != from) {
                        return Future.succeededFuture(Committed.STALE);
                    }
                    return budgets(tx, b, now).compose(budgets -> spend(tx, b, attempt, runner, from, lines, budgets, now,
                            job.getInteger("completed"), job.getInteger("failed")));
                }));
    }

    /** A budget the chunk counts against, and what is left of it now (read under its lock). */
    private record Budget(BudgetKey key, long[] left) {
    }

    /** The tenant's and the key's token budgets that have a limit, locked in a fixed order, with what is left of each. */
    private Future<List<Budget>> budgets(SqlConnection tx, Batch b, Instant now) {
        return tx.preparedQuery("SELECT t.tokens_per_day AS td, t.tokens_per_month AS tm,"
                        + " (k.limits->>'tokens_per_day')::bigint AS kd, (k.limits->>'tokens_per_month')::bigint AS km"
                        + " FROM (SELECT 1) one LEFT JOIN tenant_limits t ON t.tenant_id = $1 LEFT JOIN api_keys k ON k.id = $2")
                .execute(Tuple.of(b.tenantId(), b.keyId())).compose(rows -> {
                    Row r = rows.iterator().next();
                    List<BudgetKey> keys = new ArrayList<>();
                    for (Limits.Spec s : new Limits(null, null, r.getLong("td"), r.getLong("tm"), null).specs()) {
                        keys.add(BudgetKey.of(BudgetKey.Scope.TENANT, b.tenantId(), s, now));
                    }
                    if (b.keyId() != null) {
                        for (Limits.Spec s : new Limits(null, null, r.getLong("kd"), r.getLong("km"), null).specs()) {
                            keys.add(BudgetKey.of(BudgetKey.Scope.KEY, b.keyId(), s, now));
                        }
                    }
                    keys.sort(Comparator.comparing(BudgetKey::id)); // one lock order for every batch worker
                    Future<List<Budget>> chain = Future.succeededFuture(new ArrayList<>());
                    for (BudgetKey k : keys) {
                        chain = chain.compose(list -> left(tx, k).map(left -> {
                            list.add(new Budget(k, new long[] {left}));
                            return list;
                        }));
                    }
                    return chain;
                });
    }

    /** What is left of a budget: its limit less what its leases take, read under its lock. */
    private static Future<Long> left(SqlConnection tx, BudgetKey k) {
        return QuotaRepository.lock(tx, k).compose(v -> QuotaRepository.consumed(tx, k)).map(c -> k.spec().limit() - c);
    }

    private Future<Committed> spend(SqlConnection tx, Batch b, int attempt, String runner, int from, List<Line> lines,
            List<Budget> budgets, Instant now, int completedBefore, int failedBefore) {
        List<Integer> refused = new ArrayList<>();
        List<UsageRow> ledger = new ArrayList<>(lines.size());
        Map<String, Long> spent = new TreeMap<>();
        int completed = completedBefore;
        int failed = failedBefore;
        OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            boolean fits = l.answered() && budgets.stream().allMatch(x -> x.left()[0] >= l.tokens());
            if (l.answered() && fits) {
                for (Budget x : budgets) {
                    x.left()[0] -= l.tokens();
                    spent.merge(x.key().id(), l.tokens(), Long::sum);
                }
                completed++;
                ledger.add(new UsageRow(l.requestId(), null, runner, b.tenantId(), b.keyId(), b.model(), b.endpoint(),
                        l.promptTokens(), l.completionTokens(), 200, null, l.latencyMs(), at));
            } else {
                if (l.answered()) {
                    refused.add(from + i);
                }
                failed++;
                ledger.add(new UsageRow(l.requestId(), null, runner, b.tenantId(), b.keyId(), b.model(), b.endpoint(), 0, 0,
                        l.answered() ? 402 : l.status(), l.answered() ? "quota_exceeded" : l.errorCode(), l.latencyMs(), at));
            }
        }
        int done = from + lines.size();
        JsonObject progress = new JsonObject().put("lines_done", done).put("request_counts", new JsonObject()
                .put("total", b.totalLines()).put("completed", completed).put("failed", failed));
        Committed result = new Committed(false, List.copyOf(refused), done, completed, failed);
        Future<Void> leases = Future.succeededFuture();
        for (Budget x : budgets) {
            Long amount = spent.get(x.key().id());
            if (amount == null) {
                continue;
            }
            leases = leases.compose(v -> QuotaRepository.spent(tx, x.key(), runner, amount));
        }
        return leases
                .compose(v -> LedgerWriter.insert(tx, ledger, List.of()))
                .compose(v -> tx.preparedQuery("INSERT INTO batch_chunks (job_id, first_line, lines, attempt, refused)"
                        + " VALUES ($1, $2, $3, $4, $5)").execute(Tuple.of(b.id(), from, lines.size(), attempt,
                                refused.toArray(new Integer[0]))))
                .compose(v -> tx.preparedQuery("UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || $2, updated_at = now()"
                        + " WHERE id = $1").execute(Tuple.of(b.id(), progress)))
                .map(result);
    }

    /** A committed chunk: where its answers are ({@code attempt}'s chunk file) and which of them were refused. */
    public record Chunk(int firstLine, int lines, int attempt, TreeSet<Integer> refused) {
    }

    /** The batch's committed chunks in line order. */
    public Future<List<Chunk>> chunks(String batchId) {
        return pool.preparedQuery("SELECT first_line, lines, attempt, refused FROM batch_chunks WHERE job_id = $1 ORDER BY first_line")
                .execute(Tuple.of(batchId)).map(rows -> {
                    List<Chunk> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new Chunk(r.getInteger("first_line"), r.getInteger("lines"), r.getInteger("attempt"),
                                new TreeSet<>(List.of(r.getArrayOfIntegers("refused")))));
                    }
                    return out;
                });
    }
}
