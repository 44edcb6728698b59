package io.lmaas.deploy.local;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelInfo;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.scheduler.local.LocalBackendConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the starter models and the real embedding models exist, are registered and deployed. A missing starter
 * version is trained by a worker process ({@code worker train-starter}) the first time; a missing real model is
 * converted from its ONNX export ({@link RealModels}); later starts find them on disk.
 */
final class StarterBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(StarterBootstrap.class);
    static final String VERSION = "1";

    record Starter(String id, ModelTask task, String description) {
    }

    static final List<Starter> STARTERS = List.of(
            new Starter("starter-classifier", ModelTask.TEXT_CLASSIFICATION,
                    "Transformer-encoder topic classifier (sports, technology, weather, finance), trained by LMaaS"),
            new Starter("starter-generator", ModelTask.TEXT_GENERATION,
                    "Small decoder-only language model trained by LMaaS on generated news sentences"));

    private final Vertx vertx;
    private final PlatformConfig config;
    private final LocalBackendConfig workers;
    private final ArtifactStore store;
    private final ModelCatalogRepository catalog;
    private final DeploymentRepository deployments;

    StarterBootstrap(Vertx vertx, PlatformConfig config, LocalBackendConfig workers, ArtifactStore store,
            ModelCatalogRepository catalog, DeploymentRepository deployments) {
        this.vertx = vertx;
        this.config = config;
        this.workers = workers;
        this.store = store;
        this.catalog = catalog;
        this.deployments = deployments;
    }

    /** Prepares each starter in turn (the classifier first: it is ready sooner), then the real models. */
    Future<Void> run() {
        Future<Void> chain = Future.succeededFuture();
        if (config.starters()) {
            for (Starter s : STARTERS) {
                chain = chain.compose(v -> prepare(s));
            }
        }
        if (config.realModels()) {
            for (RealModels.RealModel m : RealModels.MODELS) {
                chain = chain.compose(v -> prepareReal(m));
            }
        }
        return chain;
    }

    private Future<Void> prepareReal(RealModels.RealModel m) {
        Path dir = store.modelVersion(m.id(), VERSION);
        return vertx.executeBlocking(() -> {
                    if (!RealModels.converted(dir)) {
                        LOG.info("converting {} from its ONNX export for the first time", m.id());
                        long start = System.nanoTime();
                        RealModels.ensure(m, dir);
                        LOG.info("{} converted in {} ms", m.id(), (System.nanoTime() - start) / 1_000_000);
                    }
                    return ModelInfo.of(dir);
                }, false)
                .compose(info -> catalog.register(new ModelRecord(m.id(), ModelTask.FEATURE_EXTRACTION, null, m.description(), null),
                        VERSION, ArtifactStore.uri(dir), info))
                .compose(v -> deployments.ensure(m.id(), VERSION, 1))
                .onSuccess(id -> LOG.info("{} version {} deployed as {}", m.id(), VERSION, id))
                .mapEmpty();
    }

    private Future<Void> prepare(Starter s) {
        Path dir = store.modelVersion(s.id(), VERSION);
        return vertx.executeBlocking(() -> {
                    train(s.id(), dir);
                    return ModelInfo.of(dir);
                }, false)
                .compose(info -> catalog.register(new ModelRecord(s.id(), s.task(), null, s.description(), null), VERSION,
                        ArtifactStore.uri(dir), info))
                .compose(v -> deployments.ensure(s.id(), VERSION, 1))
                .onSuccess(id -> LOG.info("{} version {} deployed as {}", s.id(), VERSION, id))
                .mapEmpty();
    }

    private void train(String model, Path dir) throws IOException, InterruptedException {
        if (Files.isRegularFile(dir.resolve("serving.properties"))) {
            return;
        }
        Files.createDirectories(config.logs());
        Path log = config.logs().resolve("train-" + model + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(workers.javaBinary().toString());
        cmd.addAll(workers.jvmOptions());
        cmd.addAll(List.of("-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-cp", workers.classpath(), workers.mainClass(),
                "worker", "train-starter", "--model=" + model, "--out=" + dir, "--seed=" + config.starterSeed()));
        LOG.info("training {} for the first time (log {})", model, log);
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(workers.environment());
        pb.environment().remove(WorkerToken.ENV); // training serves nothing
        Process p = pb.start();
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("training " + model + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
                        + "); see " + log);
            }
        } finally {
            p.destroy();
        }
        LOG.info("{} trained in {} s", model, (System.nanoTime() - start) / 1_000_000_000);
    }
}
