package io.lmaas.worker.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;

/** Epoch checkpoints the trainers write: each is written aside and moved into place whole, replacing an older one. */
final class Checkpoints {
    private Checkpoints() {
    }

    /** What writes a checkpoint's files into a directory. */
    @FunctionalInterface
    interface Writer {
        void write(Path dir) throws IOException;
    }

    /** Writes epoch {@code epoch}'s checkpoint as {@code root/epoch-<epoch + 1>} (atomically: no half-written checkpoint is seen). */
    static Path write(Path root, int epoch, Writer writer) throws IOException {
        Files.createDirectories(root);
        Path dir = root.resolve("epoch-" + (epoch + 1));
        Path tmp = Files.createTempDirectory(root, "epoch-" + (epoch + 1) + ".partial-");
        writer.write(tmp);
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }
}
