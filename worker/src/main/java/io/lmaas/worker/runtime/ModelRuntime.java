package io.lmaas.worker.runtime;

import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import java.nio.file.Path;

/** A loaded model version, ready for inference. Implementations are thread-safe. */
public sealed interface ModelRuntime extends AutoCloseable permits ClassifierRuntime, GeneratorRuntime {

    ServingProperties properties();

    /** Number of tokens {@code text} encodes to (for metering). */
    int countTokens(String text);

    @Override
    void close();

    /** Loads the model version in {@code directory}; throws {@link ModelDirectoryException} with a clear reason. */
    static ModelRuntime load(Path directory) {
        ServingProperties props = ServingProperties.read(directory);
        return switch (props.task()) {
            case ServingProperties.CLASSIFICATION -> ClassifierRuntime.load(directory, props);
            case ServingProperties.GENERATION -> GeneratorRuntime.load(directory, props);
            default -> throw new ModelDirectoryException(directory + ": unknown task " + props.task());
        };
    }
}
