package io.lmaas.deploy.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A benchmark's working directory (databases, models, wrk scripts) in the system's temporary directory, deleted with
 * everything in it when the benchmark's JVM exits, however it ends; {@code LMAAS_BENCH_KEEP=1} keeps it for a look.
 * Runs must not pile up: one gateway run leaves up to 600 MB of PostgreSQL behind.
 */
final class ScratchDirs {
    private ScratchDirs() {
    }

    static Path create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        if (System.getenv("LMAAS_BENCH_KEEP") != null) {
            System.out.println("kept: " + dir);
            return dir;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                UpProcess.deleteRecursively(dir);
            } catch (IOException | UncheckedIOException ignored) {
                // best effort at exit: a file a child process still holds open is left
            }
        }, "delete " + dir.getFileName()));
        return dir;
    }
}
