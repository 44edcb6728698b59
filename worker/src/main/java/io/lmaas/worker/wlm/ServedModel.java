package io.lmaas.worker.wlm;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.ComputeDevice;
import io.lmaas.worker.runtime.EncoderRuntime;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A model version being served: its runtime and the batching in front of it (dynamic batching for
 * classifiers and embedders, continuous batching for generators). {@link #warmUp()} runs one real inference before the
 * worker reports ready; {@link #drain} stops taking work and lets running work finish.
 */
public sealed interface ServedModel extends AutoCloseable {

    ModelRuntime runtime();

    int queueDepth();

    void warmUp() throws Exception;

    boolean drain(Duration timeout) throws InterruptedException;

    @Override
    void close();

    /** Settings a worker may override over the version's {@code batch.*} options (null = keep). */
    record Overrides(Integer maxBatchSize, Integer maxBatchDelayMs, Integer queueCapacity, Integer threads, Integer maxPassTokens) {
        public static final Overrides NONE = new Overrides(null, null, null, null, null);

        DynamicBatcher.Settings settings(ServingProperties.Batching b) {
            return new DynamicBatcher.Settings(maxBatchSize != null ? maxBatchSize : b.maxBatchSize(),
                    maxBatchDelayMs != null ? Duration.ofMillis(maxBatchDelayMs) : b.maxBatchDelay(),
                    queueCapacity != null ? queueCapacity : b.queueCapacity(), threads != null ? threads : b.threads(),
                    maxPassTokens != null ? maxPassTokens : b.maxPassTokens());
        }
    }

    static ServedModel load(Path directory, ComputeDevice device, Overrides overrides, ServingObserver observer) {
        ModelRuntime runtime = ModelRuntime.load(directory, device);
        DynamicBatcher.Settings settings = overrides.settings(runtime.batching());
        if (runtime instanceof ClassifierRuntime c) {
            return new Classifier(c, new DynamicBatcher<>(c, settings, observer), null);
        }
        if (runtime instanceof EncoderRuntime e) {
            if (e.task().equals(ModelRuntime.FEATURE_EXTRACTION)) {
                return new Embedder(e, new DynamicBatcher<>(e.embedder(), settings, observer),
                        new AdaptedClassifier(e.adapters(), () -> new DynamicBatcher<>(e.classifier(), settings, observer)));
            }
            DynamicBatcher<Classification> batcher = new DynamicBatcher<>(e.classifier(), settings, observer);
            return new Classifier(e, batcher, new AdaptedClassifier(e.adapters(), batcher));
        }
        GeneratorRuntime g = (GeneratorRuntime) runtime;
        return new Generator(g, new GenerationEngine(g, settings.maxBatchSize(), settings.queueCapacity(), observer));
    }

    /**
     * What serves classifications with LoRA adapters on this model (a Hugging Face encoder's), or null: the model takes
     * no adapters.
     */
    default AdaptedClassifier adapted() {
        return null;
    }

    /** A classifier behind dynamic batching; {@code adapted}: its adapters' (null when it takes none). */
    record Classifier(ModelRuntime runtime, DynamicBatcher<Classification> batcher, AdaptedClassifier adapted) implements ServedModel {
        @Override
        public int queueDepth() {
            return batcher.queueDepth();
        }

        @Override
        public void warmUp() throws Exception {
            batcher.submit(List.of("warm up"), true).get(60, TimeUnit.SECONDS);
        }

        @Override
        public boolean drain(Duration timeout) throws InterruptedException {
            return batcher.drain(timeout);
        }

        @Override
        public void close() {
            if (adapted != null) {
                adapted.close();
            }
            batcher.close();
            runtime.close();
        }
    }

    /** A sentence-embedding model behind dynamic batching; {@code adapted}: classifier adapters on it, batched apart. */
    record Embedder(EncoderRuntime runtime, DynamicBatcher<float[]> batcher, AdaptedClassifier adapted) implements ServedModel {
        @Override
        public int queueDepth() {
            return batcher.queueDepth();
        }

        @Override
        public void warmUp() throws Exception {
            batcher.submit(List.of("warm up"), true).get(60, TimeUnit.SECONDS);
        }

        @Override
        public boolean drain(Duration timeout) throws InterruptedException {
            return batcher.drain(timeout) & adapted.drain(timeout);
        }

        @Override
        public void close() {
            adapted.close();
            batcher.close();
            runtime.close();
        }
    }

    /** A generator behind continuous batching. */
    record Generator(GeneratorRuntime runtime, GenerationEngine engine) implements ServedModel {
        @Override
        public int queueDepth() {
            return engine.queueDepth();
        }

        @Override
        public void warmUp() throws Exception {
            engine.submit(new GenerationRequest("warm up", 4, 0, 0)).get(60, TimeUnit.SECONDS);
        }

        @Override
        public boolean drain(Duration timeout) throws InterruptedException {
            return engine.drain(timeout);
        }

        @Override
        public void close() {
            engine.close();
            runtime.close();
        }
    }
}
