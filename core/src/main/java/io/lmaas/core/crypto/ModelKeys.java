package io.lmaas.core.crypto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The wrapped data key a model directory is sealed with (a tenant's model), which the scheduler hands the worker that
 * serves it ({@value WrappedKey#ENV}); empty for the platform's own, plaintext models.
 */
@FunctionalInterface
public interface ModelKeys {
    /** No model is sealed (a scheduler without the database's keys). */
    ModelKeys NONE = dir -> Optional.empty();

    Optional<WrappedKey> of(Path modelDir);

    /** Reads the key id of the first sealed file of the directory and fetches that key, wrapped, from {@code keys}. */
    static ModelKeys from(TenantKeys keys) {
        return dir -> sealedWith(dir).map(id -> {
            WrappedKey w = keys.wrappedByIdBlocking(id);
            if (w == null) {
                throw new KeyUnavailableException(dir + " is sealed with data key " + id + ", which no longer exists");
            }
            return w;
        });
    }

    /** The key id the directory's files are sealed with, if any is sealed. */
    static Optional<String> sealedWith(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> regular = files.filter(Files::isRegularFile).sorted().toList();
            for (Path f : regular) {
                Optional<String> id = SealedFiles.keyId(f);
                if (id.isPresent()) {
                    return id;
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
