package io.lmaas.worker.runtime;

import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/** A loaded model version, ready for inference. Implementations are thread-safe. */
public sealed interface ModelRuntime extends AutoCloseable permits ClassifierRuntime, GeneratorRuntime, EncoderRuntime {
    String FEATURE_EXTRACTION = "feature-extraction";

    /** What it serves: {@code text-classification}, {@code text-generation} or {@code feature-extraction}. */
    String task();

    ServingProperties.Batching batching();

    /** What the worker reports about the model: architecture, parameters, dtype, max length, weight memory. */
    JsonObject describe();

    /** Number of tokens {@code text} encodes to (for metering). */
    int countTokens(String text);

    @Override
    void close();

    /**
     * Loads the model version in {@code directory}: a Hugging Face directory ({@code config.json}) or one of LMaaS's
     * built-in networks ({@code serving.properties}); throws {@link ModelDirectoryException} with a clear reason.
     */
    static ModelRuntime load(Path directory) {
        return load(directory, ComputeDevice.auto());
    }

    /** Loads the model version in {@code directory} onto {@code device} (its weights, caches and every pass). */
    static ModelRuntime load(Path directory, ComputeDevice device) {
        if (HfDirectory.is(directory)) {
            HfDirectory hf = HfDirectory.read(directory);
            return io.lmaas.worker.hf.decoder.DecoderConfig.isCausalLm(hf.config()) ? HfGenerator.load(hf, device)
                    : EncoderRuntime.load(hf, device);
        }
        ServingProperties props = ServingProperties.read(directory);
        return switch (props.task()) {
            case ServingProperties.CLASSIFICATION -> ClassifierRuntime.load(directory, props, device);
            case ServingProperties.GENERATION -> GeneratorRuntime.load(directory, props, device);
            default -> throw new ModelDirectoryException(directory + ": unknown task " + props.task());
        };
    }
}
