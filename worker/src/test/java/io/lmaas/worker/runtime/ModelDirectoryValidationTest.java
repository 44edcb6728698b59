package io.lmaas.worker.runtime;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.testing.TrainedStarters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken model version directory is refused with a reason, never a crash. */
class ModelDirectoryValidationTest {

    @Test
    void emptyDirectory(@TempDir Path dir) {
        assertThatThrownBy(() -> ModelRuntime.load(dir)).isInstanceOf(ModelDirectoryException.class)
                .hasMessageContaining("missing serving.properties");
    }

    @Test
    void missingWeights(@TempDir Path dir) throws IOException {
        copy(TrainedStarters.classifier(), dir);
        Files.delete(dir.resolve("weights.params"));
        assertThatThrownBy(() -> ModelRuntime.load(dir)).isInstanceOf(ModelDirectoryException.class)
                .hasMessageContaining("missing weights.params");
    }

    @Test
    void weightsOfAnotherShape(@TempDir Path dir) throws IOException {
        copy(TrainedStarters.classifier(), dir);
        Files.copy(TrainedStarters.generator().resolve("weights.params"), dir.resolve("weights.params"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> ModelRuntime.load(dir)).isInstanceOf(ModelDirectoryException.class)
                .hasMessageContaining("weights do not match");
    }

    @Test
    void unknownTaskAndBadNumbers(@TempDir Path dir) throws IOException {
        copy(TrainedStarters.classifier(), dir);
        Path props = dir.resolve("serving.properties");
        Files.writeString(props, Files.readString(props).replace("task=text-classification", "task=translation"));
        assertThatThrownBy(() -> ModelRuntime.load(dir)).hasMessageContaining("unknown task 'translation'");
        Files.writeString(props, Files.readString(props).replace("task=translation", "task=text-classification")
                .replace("d_model=64", "d_model=sixty"));
        assertThatThrownBy(() -> ModelRuntime.load(dir)).hasMessageContaining("'d_model' must be an integer");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
