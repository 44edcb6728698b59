package io.lmaas.deploy.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark's working directory (databases, models, wrk scripts) in the system's temporary directory, deleted with
 * everything in it when the benchmark's JVM exits, however it ends; {@code LMAAS_BENCH_KEEP=1} keeps it for a look.
 * Runs must not pile up: one gateway run leaves up to 600 MB of PostgreSQL behind. At exit the benchmark's child
 * processes (nginx, wrk, gateways, workers, {@code lmaas up}) are stopped first: a benchmark interrupted by a signal
 * runs no {@code finally}, and they were left running, holding the directory.
 */
final class ScratchDirs {
    private ScratchDirs() {
    }

    static Path create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        boolean keep = System.getenv("LMAAS_BENCH_KEEP") != null;
        if (keep) {
            System.out.println("kept: " + dir);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopChildren();
            if (!keep) {
                try {
                    UpProcess.deleteRecursively(dir);
                } catch (IOException | UncheckedIOException ignored) {
                    // best effort at exit: a file a process outside this JVM's tree still holds open is left
                }
            }
        }, "delete " + dir.getFileName()));
        return dir;
    }

    /** Asks every process this JVM started (and theirs) to stop, and waits up to 20 s for them, then kills what is left. */
    static void stopChildren() {
        List<ProcessHandle> children = ProcessHandle.current().descendants().toList();
        children.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessHandle p : children) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }
}
