package io.lmaas.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary directories a test JVM shares across tests and removes when it exits (no orphans in /tmp). */
public final class TempDirs {
    private TempDirs() {
    }

    /** A new directory, deleted with everything in it when the JVM exits. */
    public static Path create(String prefix) {
        return create(prefix, () -> { });
    }

    /** A new directory; at JVM exit {@code first} runs (for example, stopping a server that writes there), then it is deleted. */
    public static Path create(String prefix, Runnable first) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                first.run();
                delete(dir);
            }, "delete " + dir.getFileName()));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and what it holds, as far as it can (best effort: a file still open is left). */
    public static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort at exit
        }
    }
}
