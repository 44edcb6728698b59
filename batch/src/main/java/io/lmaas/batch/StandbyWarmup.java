package io.lmaas.batch;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.config.Settings;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.batches.BatchChunkFiles;
import io.lmaas.gateway.batches.BatchLines;
import io.lmaas.worker.jobs.JobAttempt;
import io.lmaas.worker.starter.SyntheticTopics;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a standby batch worker does before any tenant's batch reaches it: loads a platform model (one no tenant owns:
 * nothing sealed, no key needed) and answers made-up lines with it the way a batch's lines are answered — parsed from
 * JSON, through the serving core, shaped as the online answer, written sealed (with a key that lives only in this
 * process, into a directory deleted at once) — so the compiler has compiled that path and the model is loaded when a
 * batch arrives. A batch on another model loads its own (the engine and the code are warm all the same). Nothing is
 * written to the database.
 */
final class StandbyWarmup {
    private static final Logger LOG = LoggerFactory.getLogger(StandbyWarmup.class);

    private StandbyWarmup() {
    }

    /** Whether the scheduler has written to this process's standard input (a batch handed to a standby still warming up). */
    private static boolean stdinWaiting() {
        try {
            return System.in.available() > 0;
        } catch (java.io.IOException e) {
            return true; // its input is gone: stop waiting
        }
    }

    /** A standby's warm-up: a failed one ({@code unload} then) leaves the worker a started JVM, still worth handing a batch to. */
    static void standBy(Settings s, JobAttempt attempt, BatchProcess.ModelLoader loader, Runnable unload) {
        try {
            StandbyWarmup.run(new ModelCatalogRepository(attempt.pool()), s.string("standby-model", "starter-classifier"),
                    s.integer("standby-lines", 2000, 0, 100_000), java.time.Duration.ofMinutes(10), StandbyWarmup::stdinWaiting,
                    loader);
        } catch (Exception e) {
            LOG.warn("standby: warm-up failed ({}); standing by all the same", e.toString());
            unload.run();
        }
        LOG.info("batch worker {}: standing by for a batch (up {} ms)", ProcessHandle.current().pid(),
                ManagementFactory.getRuntimeMXBean().getUptime());
    }

    /**
     * Warms up on {@code modelId} with {@code lines} made-up lines, if it is a platform classifier or embedding model. A
     * model not there yet (the platform's first start is still preparing it) is waited for, up to {@code wait}, unless
     * {@code handed} says a batch arrived meanwhile.
     */
    static void run(ModelCatalogRepository catalog, String modelId, int lines, java.time.Duration wait,
            java.util.function.BooleanSupplier handed, BatchProcess.ModelLoader loader) throws Exception {
        long started = System.nanoTime();
        Optional<ModelRecord> found = Optional.empty();
        Optional<Path> directory = Optional.empty();
        while (!handed.getAsBoolean()) {
            found = BatchProcess.await(catalog.find(modelId));
            if (found.isPresent() && (found.get().ownerTenantId() != null || found.get().adapter())) {
                LOG.info("standby: {} is not a platform model; no warm-up", modelId);
                return;
            }
            directory = found.isEmpty() ? Optional.empty() : BatchProcess.await(catalog.latestVersion(modelId))
                    .map(v -> ArtifactStore.path(v.artifactUri()));
            if (directory.isPresent() || System.nanoTime() - started > wait.toNanos()) {
                break;
            }
            Thread.sleep(1000); // not there yet: the platform's first start is preparing it
        }
        if (directory.isEmpty()) {
            LOG.info("standby: no version of {} to warm up on", modelId);
            return;
        }
        ModelTask task = found.get().task();
        String endpoint = task == ModelTask.TEXT_CLASSIFICATION ? "/v1/classifications"
                : task == ModelTask.FEATURE_EXTRACTION ? "/v1/embeddings" : null;
        InProcessModel model = loader.load(new BatchModel(modelId, directory.get(), null));
        if (endpoint != null && lines > 0) {
            answer(model, modelId, endpoint, lines);
        }
        LOG.info("standby: warmed up on {} ({} lines) in {} ms", modelId, endpoint == null ? 0 : lines,
                (System.nanoTime() - started) / 1_000_000);
    }

    private static void answer(InProcessModel model, String modelId, String endpoint, int lines) throws Exception {
        Path dir = Files.createTempDirectory("lmaas-standby");
        DataKey key = DataKey.ephemeral("standby");
        List<SyntheticTopics.Example> texts = SyntheticTopics.examples(lines, 17);
        BatchChunkFiles files = new BatchChunkFiles(dir);
        try {
            for (int from = 0; from < lines; from += 256) {
                int end = Math.min(lines, from + 256);
                List<CompletableFuture<BatchLines.Answered>> inFlight = new ArrayList<>();
                for (int i = from; i < end; i++) {
                    JsonObject line = new JsonObject(new JsonObject().put("custom_id", "warm-" + i).put("body",
                            new JsonObject().put("model", modelId).put("input", texts.get(i).text())).encode());
                    inFlight.add(BatchLines.answer(endpoint, line, model, Ids.batchRequest(), 0).toCompletionStage().toCompletableFuture());
                }
                List<JsonObject> out = new ArrayList<>(inFlight.size());
                for (CompletableFuture<BatchLines.Answered> a : inFlight) {
                    out.add(a.get(60, TimeUnit.SECONDS).line());
                }
                files.write(from, 0, out, key);
            }
        } finally {
            files.delete();
        }
    }
}
