package io.lmaas.worker.testing;

import io.lmaas.worker.starter.StarterModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The starter models, trained once per test JVM (into a fresh directory) by the platform's own code. */
public final class TrainedStarters {
    private static Path root;

    private TrainedStarters() {
    }

    public static synchronized Path classifier() {
        return ensure(StarterModels.CLASSIFIER);
    }

    public static synchronized Path generator() {
        return ensure(StarterModels.GENERATOR);
    }

    private static Path ensure(String name) {
        try {
            if (root == null) {
                root = io.lmaas.core.testing.TempDirs.create("lmaas-starters-");
            }
            Path dir = root.resolve(name);
            StarterModels.ensure(name, dir, 42);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
