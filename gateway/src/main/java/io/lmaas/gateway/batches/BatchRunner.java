package io.lmaas.gateway.batches;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.files.FileRecord;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.files.JsonlValidator;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.auth.KeyScopes;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.inference.ClassificationRequest;
import io.lmaas.gateway.inference.CompletionRequest;
import io.lmaas.gateway.inference.EmbeddingRequest;
import io.lmaas.gateway.inference.InferenceService;
import io.lmaas.gateway.inference.Responses;
import io.lmaas.gateway.quota.LeaseUse;
import io.lmaas.gateway.quota.Limits;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.usage.LedgerWriter;
import io.lmaas.gateway.usage.UsageRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.OutputStream;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs batches on this gateway replica, one at a time: claims a batch, checks its input file (the batch
 * format, every line's {@code url} the batch's endpoint), sends its requests through the same inference
 * path as online calls ({@code concurrency} at a time), admits each against the tenant's and key's daily and
 * monthly token budgets (not the per-minute limits: a batch is not interactive traffic), meters each like an online
 * call (one ledger row per request; a line whose row is not durable is a failed line), writes the output and error files as the tenant's {@code batch_output} files, and stops early
 * when the batch is cancelled (keeping what it answered so far).
 */
public final class BatchRunner {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    private final Vertx vertx;
    private final BatchRepository batches;
    private final FileRepository files;
    private final ArtifactStore store;
    private final InferenceService inference;
    private final LedgerWriter ledger;
    private final QuotaService quota;
    private final String gatewayId;
    private final int concurrency;
    private final TenantKeys keys;
    private long timer = -1;
    private boolean busy;

    public BatchRunner(Vertx vertx, BatchRepository batches, FileRepository files, ArtifactStore store, InferenceService inference,
            LedgerWriter ledger, QuotaService quota, String gatewayId, int concurrency, TenantKeys keys) {
        this.keys = keys;
        this.vertx = vertx;
        this.batches = batches;
        this.files = files;
        this.store = store;
        this.inference = inference;
        this.ledger = ledger;
        this.quota = quota;
        this.gatewayId = gatewayId;
        this.concurrency = concurrency;
    }

    public void start(java.time.Duration interval) {
        timer = vertx.setPeriodic(interval.toMillis(), id -> {
            if (busy) {
                return;
            }
            busy = true;
            batches.claim(gatewayId).compose(b -> b == null ? Future.succeededFuture() : run(b).recover(e -> {
                LOG.warn("batch {} failed: {}", b.id(), e.toString());
                return batches.finish(b.id(), BatchRecord.FAILED, failed("internal_error", e.getMessage(), null));
            })).onComplete(ar -> busy = false);
        });
    }

    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private record Line(int number, JsonObject json) {
    }

    private Future<Void> run(BatchRecord b) {
        String endpoint = b.spec().getString("endpoint");
        LOG.info("batch {} ({} for {}): running", b.id(), endpoint, b.tenantId());
        return files.find(b.tenantId(), b.spec().getString("input_file_id")).compose(f -> {
            if (f == null) {
                return batches.finish(b.id(), BatchRecord.FAILED, failed("invalid_input_file", "the input file "
                        + b.spec().getString("input_file_id") + " no longer exists", null));
            }
            return keys.of(f.tenantId()).compose(key -> vertx.executeBlocking(() -> read(f, endpoint, key), false))
                    .compose(lines -> process(b, endpoint, lines), e -> e instanceof BadInput bad
                            ? batches.finish(b.id(), BatchRecord.FAILED, failed("invalid_input_file", bad.getMessage(), null))
                            : Future.failedFuture(e));
        });
    }

    /** What is wrong with a batch's input file, in words for the tenant. */
    private static final class BadInput extends Exception {
        BadInput(String message) {
            super(message);
        }
    }

    /** The file's lines, checked again (the batch format; every {@code url} the batch's endpoint). */
    private static List<Line> read(FileRecord f, String endpoint, DataKey key) throws Exception {
        Path path = ArtifactStore.path(f.artifactUri());
        try (BufferedReader in = Artifacts.newBufferedReader(path, key)) {
            JsonlValidator.Result r = JsonlValidator.validate(in, "batch");
            if (!r.valid()) {
                throw new BadInput("the input file is not a valid batch file: " + r.summary());
            }
        }
        List<Line> out = new ArrayList<>();
        try (BufferedReader in = Artifacts.newBufferedReader(path, key)) {
            String s;
            int n = 0;
            while ((s = in.readLine()) != null) {
                n++;
                if (s.isBlank()) {
                    continue;
                }
                JsonObject o = new JsonObject(s);
                if (o.containsKey("url") && !endpoint.equals(o.getString("url"))) {
                    throw new BadInput("line " + n + ": \"url\" is " + o.getString("url") + " but the batch's endpoint is " + endpoint);
                }
                out.add(new Line(n, o));
            }
        }
        return out;
    }

    private Future<Void> process(BatchRecord b, String endpoint, List<Line> lines) {
        String[] outputs = new String[lines.size()];
        boolean[] ok = new boolean[lines.size()];
        int[] done = {0, 0};
        TenantPrincipal principal = new TenantPrincipal(b.tenantId(), b.spec().getString("key_id"),
                b.spec().getJsonObject("scopes") == null ? KeyScopes.ALL : KeyScopes.fromStored(b.spec().getJsonObject("scopes")),
                b.spec().getJsonObject("key_limits") == null ? Limits.UNLIMITED : Limits.fromStored(b.spec().getJsonObject("key_limits")));
        JsonObject counts = new JsonObject().put("total", lines.size()).put("completed", 0).put("failed", 0);
        Future<Boolean> chain = batches.update(b.id(), new JsonObject().put("request_counts", counts)).map(true);
        for (int from = 0; from < lines.size(); from += concurrency) {
            int start = from;
            int end = Math.min(lines.size(), from + concurrency);
            chain = chain.compose(go -> !go ? Future.succeededFuture(false) : batches.status(b.id()).compose(status -> {
                if (!BatchRecord.IN_PROGRESS.equals(status)) {
                    return Future.succeededFuture(false); // cancelling (or taken over): stop here
                }
                List<Future<Void>> chunk = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    int index = i;
                    chunk.add(answer(principal, endpoint, lines.get(i)).map(r -> {
                        outputs[index] = r.line().encode();
                        ok[index] = r.ok();
                        done[r.ok() ? 0 : 1]++;
                        return null;
                    }));
                }
                return Future.join(chunk).map(true);
            }).compose(go2 -> batches.update(b.id(), new JsonObject().put("request_counts", counts.copy().put("completed", done[0])
                    .put("failed", done[1]))).map(go2)));
        }
        return chain.compose(finished -> batches.status(b.id()).compose(status -> {
            boolean cancelled = BatchRecord.CANCELLING.equals(status);
            JsonObject finalCounts = counts.copy().put("completed", done[0]).put("failed", done[1]);
            return batches.update(b.id(), new JsonObject().put("finalizing_at", now())).compose(v -> vertx.executeBlocking(() ->
                    writeFiles(b, outputs, ok), false)).compose(fileIds -> batches.finish(b.id(),
                            cancelled ? BatchRecord.CANCELLED : BatchRecord.COMPLETED, new JsonObject()
                                    .put("request_counts", finalCounts).put("output_file_id", fileIds[0])
                                    .put("error_file_id", fileIds[1]).put(cancelled ? "cancelled_at" : "completed_at", now())));
        }));
    }

    private record Answer(JsonObject line, boolean ok) {
    }

    /** One request: answered like the online endpoint would, or an error line; metered either way. */
    private Future<Answer> answer(TenantPrincipal principal, String endpoint, Line line) {
        String requestId = "batch_req_" + Ids.random(20);
        String customId = line.json().getString("custom_id");
        JsonObject body = line.json().getJsonObject("body");
        long started = System.nanoTime();
        String model = body.getValue("model") instanceof String s && s.length() <= Params.MAX_TEXT && Params.printable(s) ? s : null;
        Future<Result> work;
        try {
            work = switch (endpoint) {
                case "/v1/classifications" -> {
                    ClassificationRequest req = ClassificationRequest.parse(body);
                    ModelRecord m = inference.servable(principal, req.model(), ModelTask.TEXT_CLASSIFICATION, endpoint);
                    yield admitted(principal, req.tokenBound(), () -> inference.classify(m, req, requestId).map(results -> new Result(
                            Responses.classification("clf-" + requestId, req.model(), results),
                            results.stream().mapToInt(InferenceService.Classified::tokens).sum(), 0)));
                }
                case "/v1/completions" -> {
                    CompletionRequest req = CompletionRequest.parse(body);
                    if (req.sampling().stream()) {
                        throw ApiException.invalidParam("stream", "batch requests cannot stream");
                    }
                    ModelRecord m = inference.servable(principal, req.model(), ModelTask.TEXT_GENERATION, endpoint);
                    yield admitted(principal, req.tokenBound(), () -> inference.generate(m, req.workerBodies(), requestId).map(results ->
                            new Result(Responses.completion("cmpl-" + requestId, Instant.now().getEpochSecond(), req.model(), results),
                                    results.stream().mapToInt(InferenceService.Completed::promptTokens).sum(),
                                    results.stream().mapToInt(InferenceService.Completed::completionTokens).sum())));
                }
                case "/v1/embeddings" -> {
                    EmbeddingRequest req = EmbeddingRequest.parse(body);
                    ModelRecord m = inference.servable(principal, req.model(), ModelTask.FEATURE_EXTRACTION, endpoint);
                    yield admitted(principal, req.tokenBound(), () -> inference.embed(m, req, requestId).map(results -> new Result(
                            Responses.embeddings(req.model(), results, req.base64()),
                            results.stream().mapToInt(InferenceService.Embedded::tokens).sum(), 0)));
                }
                default -> throw ApiException.invalidParam("endpoint", "unsupported batch endpoint " + endpoint);
            };
        } catch (RuntimeException e) {
            work = Future.failedFuture(e);
        }
        return work.compose(r -> meter(principal, requestId, model, endpoint, r.prompt(), r.completion(), 200, null, started, r.uses())
                .map(v -> new Answer(new JsonObject().put("id", requestId).put("custom_id", customId).put("response", new JsonObject()
                        .put("status_code", 200).put("request_id", requestId).put("body", r.body())).putNull("error"), true))
                .recover(e -> Future.failedFuture(ApiException.unavailable("usage_unavailable",
                        "the usage ledger is unavailable; the line was not answered", 1)))).recover(e -> {
            ApiException api = e instanceof ApiException a ? a : new ApiException(500, "server_error", "internal_error", null,
                    "the request failed: " + e.getMessage(), null);
            meter(principal, requestId, model, endpoint, 0, 0, api.status(), api.code(), started, List.of());
            JsonObject error = new JsonObject().put("message", api.getMessage()).put("type", api.type()).put("param", api.param())
                    .put("code", api.code());
            return Future.succeededFuture(new Answer(new JsonObject().put("id", requestId).put("custom_id", customId)
                    .put("response", new JsonObject().put("status_code", api.status()).put("request_id", requestId)
                            .put("body", new JsonObject().put("error", error)))
                    .put("error", new JsonObject().put("code", api.code()).put("message", api.getMessage())), false));
        });
    }

    private record Result(JsonObject body, int prompt, int completion, List<LeaseUse> uses) {
        Result(JsonObject body, int prompt, int completion) {
            this(body, prompt, completion, List.of());
        }
    }

    /**
     * Admits a line against the daily and monthly budgets (up to what is left), runs it, and settles to its real cost;
     * a line that cost more than its budgets had left is refused like an online call (402), its answer withheld.
     */
    private Future<Result> admitted(TenantPrincipal p, long tokenBound, java.util.function.Supplier<Future<Result>> work) {
        return quota.admitBudgets(p.tenantId(), p.keyId(), p.keyLimits(), tokenBound).compose(a -> work.get().transform(ar -> {
            if (ar.failed()) {
                a.settle(0);
                return Future.failedFuture(ar.cause());
            }
            Result r = ar.result();
            ApiException refusal = a.shortfall((long) r.prompt() + r.completion());
            if (refusal != null) {
                a.settle(0);
                return Future.failedFuture(refusal);
            }
            return Future.succeededFuture(new Result(r.body(), r.prompt(), r.completion(), a.settle((long) r.prompt() + r.completion())));
        }));
    }

    /** The line's usage row, durable when the future completes (the lease uses with it). */
    private Future<Void> meter(TenantPrincipal p, String requestId, String model, String endpoint, int prompt, int completion,
            int status, String errorCode, long startedNanos, List<LeaseUse> uses) {
        return ledger.append(new UsageRow(requestId, null, gatewayId, p.tenantId(), p.keyId(), model, endpoint, prompt, completion,
                status, errorCode, (System.nanoTime() - startedNanos) / 1_000_000, null), uses)
                .onFailure(e -> LOG.warn("batch request {} not metered: {}", requestId, e.toString()));
    }

    /** Writes the answered lines to the output file and the failed ones to the error file; returns their ids (or null). */
    private String[] writeFiles(BatchRecord b, String[] outputs, boolean[] ok) throws Exception {
        String[] ids = new String[2];
        for (int kind = 0; kind < 2; kind++) {
            boolean wantOk = kind == 0;
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < outputs.length; i++) {
                if (outputs[i] != null && ok[i] == wantOk) {
                    lines.add(outputs[i]);
                }
            }
            if (lines.isEmpty()) {
                continue;
            }
            String id = Ids.file();
            Path target = store.file(b.tenantId(), id);
            Files.createDirectories(target.getParent());
            long bytes = 0;
            DataKey key = keys.of(b.tenantId()).toCompletionStage().toCompletableFuture().get();
            try (OutputStream out = new BufferedOutputStream(Artifacts.newOutputStream(target, key), 1 << 16)) {
                for (String l : lines) {
                    byte[] line = (l + "\n").getBytes(StandardCharsets.UTF_8);
                    out.write(line);
                    bytes += line.length;
                }
            }
            FileRecord f = new FileRecord(id, b.tenantId(), "batch_output", b.id() + (wantOk ? "_output.jsonl" : "_error.jsonl"),
                    bytes, ArtifactStore.uri(target), "batch_output", lines.size(), null);
            files.insert(f).toCompletionStage().toCompletableFuture().get();
            ids[kind] = id;
        }
        return ids;
    }

    private static JsonObject failed(String code, String message, Integer line) {
        return new JsonObject().put("failed_at", now()).put("errors", new JsonObject().put("object", "list").put("data",
                new JsonArray().add(new JsonObject().put("code", code).put("message", message).put("param", "input_file_id")
                        .put("line", line))));
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }
}
