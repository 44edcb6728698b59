package io.lmaas.worker.serve;

import io.lmaas.core.config.Settings;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.worker.wlm.ServedModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Configuration of {@code lmaas worker serve}: which model version directory to serve, where to listen,
 * batching overrides (batch size, delay, queue, threads; else the version's own), how long a drain may take.
 *
 * @param portFile written with the bound port once listening (lets a supervisor use port 0)
 * @param parentPid the worker exits when this process exits (local backend: no orphans)
 * @param token the internal credential every request but {@code GET /health} must carry ({@link WorkerToken}):
 *     from {@code LMAAS_WORKER_TOKEN}; a worker without one does not start
 * @param adaptersRoot the directory LoRA adapters a request names must lie under ({@code --adapters-root}); null: the
 *     worker serves no adapters
 * @param device where the model computes ({@code --device}: auto, cpu, gpu, gpu:N; default auto, the first GPU the
 *     engine sees, else the CPU): see {@link io.lmaas.worker.runtime.ComputeDevice}
 */
public record WorkerConfig(Path modelDir, String modelId, String host, int port, Path portFile,
        ServedModel.Overrides batching, Duration drainTimeout, Optional<Long> parentPid, String token, Path adaptersRoot, String device) {

    public static WorkerConfig from(Settings s) {
        Path modelDir = Path.of(s.required("model-dir")).toAbsolutePath().normalize();
        return new WorkerConfig(
                modelDir,
                s.string("model-id", modelDir.getFileName().toString()),
                s.string("host", "127.0.0.1"),
                s.integer("port", 0, 0, 65535),
                s.optional("port-file").map(p -> Path.of(p).toAbsolutePath()).orElse(null),
                new ServedModel.Overrides(optionalInt(s, "batch-size", 1, 4096), optionalInt(s, "batch-delay-ms", 0, 10_000),
                        optionalInt(s, "queue-capacity", 1, 1_000_000), optionalInt(s, "threads", 1, 64),
                        optionalInt(s, "max-pass-tokens", 1, 1 << 20)),
                s.millis("drain-timeout-ms", 30_000),
                s.optional("parent-pid").map(Long::parseLong),
                WorkerToken.from(s),
                s.optional("adapters-root").map(p -> Path.of(p).toAbsolutePath().normalize()).orElse(null),
                s.string("device", "auto"));
    }

    @Override
    public String toString() {
        return "WorkerConfig[modelDir=" + modelDir + ", modelId=" + modelId + ", host=" + host + ", port=" + port
                + ", device=" + device + ", token=<redacted>]";
    }

    private static Integer optionalInt(Settings s, String key, int min, int max) {
        return s.optional(key).isPresent() ? s.integer(key, 0, min, max) : null;
    }
}
