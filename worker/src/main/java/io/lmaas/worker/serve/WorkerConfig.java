package io.lmaas.worker.serve;

import io.lmaas.core.config.Settings;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Configuration of {@code lmaas worker serve}: which model version directory to serve, where to listen,
 * how much inference to run at once and how much to queue.
 *
 * @param portFile written with the bound port once listening (lets a supervisor use port 0)
 * @param parentPid the worker exits when this process exits (local backend: no orphans)
 */
public record WorkerConfig(Path modelDir, String modelId, String host, int port, Path portFile, int threads,
        int queueCapacity, Optional<Long> parentPid) {

    public static WorkerConfig from(Settings s) {
        Path modelDir = Path.of(s.required("model-dir")).toAbsolutePath().normalize();
        return new WorkerConfig(
                modelDir,
                s.string("model-id", modelDir.getFileName().toString()),
                s.string("host", "127.0.0.1"),
                s.integer("port", 0, 0, 65535),
                s.optional("port-file").map(p -> Path.of(p).toAbsolutePath()).orElse(null),
                s.integer("threads", 1, 1, 64),
                s.integer("queue-capacity", 256, 1, 1_000_000),
                s.optional("parent-pid").map(Long::parseLong));
    }
}
