package io.lmaas.gateway.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.db.Pools;
import io.lmaas.core.testing.Bytes;
import io.lmaas.core.testing.TempDirs;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.gateway.quota.BudgetKey;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.quota.QuotaRepository;
import io.lmaas.gateway.usage.UsageRepository;
import io.lmaas.gateway.usage.UsageRollup;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch's lines committed a chunk at a time against a real PostgreSQL: each chunk once whatever attempt ran it, one
 * ledger row per line, budgets spent per line exactly as the gateways count them, and the output files assembled from
 * the committed chunks only.
 */
class BatchLedgerTest {
    private static final String TENANT = "tn-batch";
    private static final String KEY = "key-batch";

    private Vertx vertx;
    private Pool pool;
    private BatchLedger ledger;
    private Path dir;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, TestDatabases.fresh(), 4);
        ledger = new BatchLedger(pool, Clock.systemUTC());
        dir = TempDirs.create("batch-ledger");
        sql("INSERT INTO tenants (id, name) VALUES ($1, $1)", TENANT);
        sql("INSERT INTO api_keys (id, tenant_id, name, secret_hash, last4, limits) VALUES ($1, $2, 'n', '\\x00', 'abcd', $3)", KEY,
                TENANT, new JsonObject());
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        TempDirs.delete(dir);
    }

    private void sql(String statement, Object... args) throws Exception {
        pool.preparedQuery(statement).execute(Tuple.from(args)).await(10, TimeUnit.SECONDS);
    }

    private long number(String query, Object... args) throws Exception {
        return pool.preparedQuery(query).execute(Tuple.from(args)).await(10, TimeUnit.SECONDS).iterator().next().getLong(0);
    }

    private BatchLedger.Batch batch(String id, int lines) throws Exception {
        sql("INSERT INTO jobs (id, tenant_id, kind, status, spec, result) VALUES ($1, $2, 'batch', 'in_progress', '{}'::jsonb,"
                + " '{}'::jsonb)", id, TENANT);
        return new BatchLedger.Batch(id, TENANT, KEY, "clf", "/v1/classifications", lines);
    }

    private static List<BatchLedger.Line> answered(String prefix, int n, int tokens) {
        List<BatchLedger.Line> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new BatchLedger.Line(prefix + "-" + i, tokens, 0, 200, null, 3));
        }
        return out;
    }

    private BatchLedger.Committed commit(BatchLedger.Batch b, int attempt, int from, List<BatchLedger.Line> lines) throws Exception {
        return ledger.commit(b, attempt, "batch:" + b.id() + ":" + attempt, from, lines).await(10, TimeUnit.SECONDS);
    }

    @Test
    void eachChunkIsCommittedOnceWhateverAttemptRunsIt() throws Exception {
        BatchLedger.Batch b = batch("batch_once", 9);
        assertThat(commit(b, 0, 0, answered("a0", 3, 10)).linesDone()).isEqualTo(3);
        // The same chunk again (a retry after a lost answer from the database): nothing more is written.
        assertThat(commit(b, 0, 0, answered("a0-again", 3, 10)).stale()).isTrue();
        // A chunk that does not start where the progress is: refused.
        assertThat(commit(b, 0, 6, answered("gap", 3, 10)).stale()).isTrue();
        assertThat(commit(b, 0, 3, answered("a0b", 3, 10)).linesDone()).isEqualTo(6);

        sql("UPDATE jobs SET attempt = 1 WHERE id = $1", b.id()); // preempted: a new attempt resumes after line 6
        assertThat(commit(b, 0, 6, answered("zombie", 3, 10)).stale()).as("the old attempt, still running").isTrue();
        BatchLedger.Committed last = commit(b, 1, 6, answered("a1", 3, 10));
        assertThat(last.stale()).isFalse();
        assertThat(last.completed()).isEqualTo(9);

        assertThat(number("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1", TENANT)).isEqualTo(9);
        assertThat(number("SELECT count(*) FROM usage_ledger WHERE request_id LIKE 'zombie%' OR request_id LIKE '%again%'"
                + " OR request_id LIKE 'gap%'")).isZero();
        // Counted once in the report, before the roll-up pass (from the rows) and after it (from the roll-ups).
        UsageRepository usage = new UsageRepository(pool);
        assertThat(usage.summary(TENANT, null, null, null).await(10, TimeUnit.SECONDS).get(0).getLong("requests")).isEqualTo(9);
        new UsageRollup(vertx, pool).runOnce().await(10, TimeUnit.SECONDS);
        assertThat(number("SELECT sum(requests) FROM usage_daily WHERE tenant_id = $1", TENANT)).isEqualTo(9);
        assertThat(usage.summary(TENANT, null, null, null).await(10, TimeUnit.SECONDS).get(0).getLong("requests")).isEqualTo(9);
        assertThat(ledger.chunks(b.id()).await(10, TimeUnit.SECONDS)).extracting(BatchLedger.Chunk::firstLine, BatchLedger.Chunk::attempt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 0), org.assertj.core.groups.Tuple.tuple(3, 0),
                        org.assertj.core.groups.Tuple.tuple(6, 1));
        JsonObject counts = pool.preparedQuery("SELECT result FROM jobs WHERE id = $1").execute(Tuple.of(b.id()))
                .await(10, TimeUnit.SECONDS).iterator().next().getJsonObject("result");
        assertThat(counts.getInteger("lines_done")).isEqualTo(9);
        assertThat(counts.getJsonObject("request_counts").getMap()).containsEntry("completed", 9).containsEntry("failed", 0)
                .containsEntry("total", 9);
    }

    @Test
    void budgetsApplyPerLineAndAreSpentExactlyAsTheGatewaysCountThem() throws Exception {
        sql("INSERT INTO tenant_limits (tenant_id, tokens_per_day) VALUES ($1, 100)", TENANT);
        sql("UPDATE api_keys SET limits = $2 WHERE id = $1", KEY, new JsonObject().put("tokens_per_month", 1000));
        BatchLedger.Batch b = batch("batch_budget", 9);
        List<BatchLedger.Line> first = answered("c0", 5, 30);
        first.set(1, new BatchLedger.Line("c0-bad", 0, 0, 400, "invalid_request", 1)); // a failed line costs nothing
        BatchLedger.Committed c = commit(b, 0, 0, first);
        // 30 + 30 + 30 = 90 of 100: the fifth line (30 more) no longer fits, its answer is withheld.
        assertThat(c.refused()).containsExactly(4);
        assertThat(c.completed()).isEqualTo(3);
        assertThat(c.failed()).isEqualTo(2);
        BatchLedger.Committed second = commit(b, 0, 5, List.of(new BatchLedger.Line("c1-0", 30, 0, 200, null, 1),
                new BatchLedger.Line("c1-1", 4, 6, 200, null, 1), new BatchLedger.Line("c1-2", 30, 0, 200, null, 1)));
        assertThat(second.refused()).containsExactly(5, 7); // the 10-token line still fits exactly
        assertThat(number("SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM usage_ledger WHERE tenant_id = $1",
                TENANT)).isEqualTo(100);
        assertThat(number("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1 AND status = 402 AND error_code = 'quota_exceeded'"
                + " AND prompt_tokens = 0", TENANT)).isEqualTo(3);
        assertThat(number("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1", TENANT)).isEqualTo(8);

        // A gateway sees the same budgets: the tenant's day is spent, the key's month has 900 left.
        QuotaRepository gateway = new QuotaRepository(pool);
        Instant now = Instant.now();
        BudgetKey day = BudgetKey.of(BudgetKey.Scope.TENANT, TENANT, new Limits(null, null, 100L, null, null).specs().get(0), now);
        BudgetKey month = BudgetKey.of(BudgetKey.Scope.KEY, KEY, new Limits(null, null, null, 1000L, null).specs().get(0), now);
        assertThat(gateway.acquire(day, "gw-1", 1, 1, Duration.ofSeconds(10)).await(10, TimeUnit.SECONDS).leaseId()).isNull();
        assertThat(gateway.acquire(month, "gw-1", 1, 5000, Duration.ofSeconds(10)).await(10, TimeUnit.SECONDS).amount()).isEqualTo(900);
        // What a gateway holds leased is not the batch's to spend: with the tenant's day lifted, the key's month, all
        // leased by that gateway now, refuses the next line.
        sql("DELETE FROM tenant_limits WHERE tenant_id = $1", TENANT);
        assertThat(commit(b, 0, 8, answered("c2", 1, 1)).refused()).containsExactly(8);
        assertThat(number("SELECT count(*) FROM batch_chunks WHERE job_id = $1", b.id())).isEqualTo(3);
    }

    @Test
    void theOutputFilesAreAssembledFromTheCommittedChunksOnlyWithRefusedAnswersAsErrors() throws Exception {
        DataKey key = DataKey.ephemeral(TENANT);
        BatchChunkFiles files = new BatchChunkFiles(dir.resolve("work"));
        files.write(0, 0, List.of(answer(0), error(1), answer(2)), key);
        files.write(3, 0, List.of(answer(3), answer(4), answer(5)), key); // written, then the attempt died before its commit
        files.write(3, 1, List.of(answer(3), answer(4), answer(5)), key);
        List<BatchLedger.Chunk> committed = List.of(new BatchLedger.Chunk(0, 3, 0, new TreeSet<>()),
                new BatchLedger.Chunk(3, 3, 1, new TreeSet<>(List.of(4))));

        Path output = dir.resolve("output.jsonl");
        Path errors = dir.resolve("errors.jsonl");
        BatchChunkFiles.Assembled a = files.assemble(committed, key, output, errors);
        assertThat(a.answered()).isEqualTo(4);
        assertThat(a.failed()).isEqualTo(2);
        assertThat(lines(output, key)).extracting(l -> l.getString("custom_id")).containsExactly("req-0", "req-2", "req-3", "req-5");
        List<JsonObject> failed = lines(errors, key);
        assertThat(failed).extracting(l -> l.getString("custom_id")).containsExactly("req-1", "req-4");
        assertThat(failed.get(1).getJsonObject("error").getString("code")).isEqualTo("quota_exceeded");
        assertThat(failed.get(1).getJsonObject("response").getInteger("status_code")).isEqualTo(402);
        for (Path sealed : List.of(output, errors, files.file(0, 0))) {
            assertThat(Bytes.indexOf(Files.readAllBytes(sealed), "req-".getBytes(StandardCharsets.UTF_8))).as("sealed").isNegative();
        }

        // Lines are copied as they were written (not parsed and encoded again), and told apart whatever their members' order.
        assertThat(lines(output, key).get(0)).isEqualTo(answer(0));
        assertThat(BatchChunkFiles.answered(answer(7).encode())).isTrue();
        assertThat(BatchChunkFiles.answered("{\"error\":null,\"id\":\"x\"}")).isTrue();
        assertThat(BatchChunkFiles.answered(error(7).encode())).isFalse();
        assertThat(BatchChunkFiles.answered("{\"response\":{\"error\":null},\"error\":{\"code\":\"x\"}}")).isFalse();
        assertThat(BatchChunkFiles.answered("{\"error\":{\"code\":\"x\"},\"response\":{\"error\":null}}")).isFalse();

        // A commit that says more lines than its file holds fails the assembly rather than shortening the output.
        assertThatThrownBy(() -> files.assemble(List.of(new BatchLedger.Chunk(0, 4, 0, new TreeSet<>())), key,
                dir.resolve("o2.jsonl"), dir.resolve("e2.jsonl"))).hasMessageContaining("holds 3 lines");
        files.delete();
        assertThat(dir.resolve("work")).doesNotExist();
    }

    private static JsonObject answer(int i) {
        return new JsonObject().put("id", "batch_req_" + i).put("custom_id", "req-" + i).put("response", new JsonObject()
                .put("status_code", 200).put("body", new JsonObject().put("data", "x"))).putNull("error");
    }

    private static JsonObject error(int i) {
        return new JsonObject().put("id", "batch_req_" + i).put("custom_id", "req-" + i).put("response", new JsonObject()
                .put("status_code", 400)).put("error", new JsonObject().put("code", "invalid_request"));
    }

    private static List<JsonObject> lines(Path file, DataKey key) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        try (var in = io.lmaas.core.crypto.Artifacts.newBufferedReader(file, key)) {
            in.lines().forEach(l -> out.add(new JsonObject(l)));
        }
        return out;
    }
}
