package io.lmaas.deploy.local;

import io.lmaas.core.config.Settings;
import io.lmaas.gateway.GatewayConfig;
import io.lmaas.gateway.identity.KeycloakSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code lmaas up}: where the gateway listens, where data lives, which database to use (embedded unless
 * a URL is given), whether to prepare the starter models and the real embedding models, how worker processes are
 * started, the free space the artifact store keeps for uploads, and how long a batch worker whose batch completed waits
 * for its tenant's next batch (0: it exits at once).
 */
public record PlatformConfig(String host, int port, Path dataDir, Optional<String> databaseUrl, boolean starters,
        boolean realModels,
        int maxBodyBytes, long maxFileBytes, long minFreeBytes, String classpath, Path javaBinary, List<String> workerJvmOptions, long starterSeed,
        Optional<KeycloakSettings> keycloak, Duration batchWorkerLinger, Optional<String> batchStandbyModel) {

    public static PlatformConfig from(Settings s, String classpath, Path javaBinary) {
        return new PlatformConfig(
                s.string("host", "127.0.0.1"),
                s.integer("port", 8080, 0, 65535),
                s.path("data-dir", ".lmaas"),
                s.optional("database-url"),
                s.bool("starters", true),
                s.bool("real-models", true),
                s.integer("max-body-bytes", GatewayConfig.DEFAULT_BODY_LIMIT, 1024, 1024 * 1024 * 1024),
                s.integer("max-file-mb", (int) (GatewayConfig.DEFAULT_FILE_LIMIT >> 20), 1, 1 << 20) * 1024L * 1024L,
                io.lmaas.gateway.http.RequestGuards.minFreeBytes(s),
                classpath,
                javaBinary,
                io.lmaas.scheduler.local.LocalBackendConfig.WORKER_JVM_OPTIONS,
                42L,
                KeycloakSettings.from(s),
                Duration.ofSeconds(s.integer("batch-worker-linger-seconds", 60, 0, 86_400)),
                standbyModel(s.string("batch-standby-model", s.bool("starters", true) ? "starter-classifier" : "none")));
    }

    /** The platform model a standby batch worker warms up on; {@code none}: no standby. */
    private static Optional<String> standbyModel(String name) {
        return "none".equals(name) || name.isBlank() ? Optional.empty() : Optional.of(name);
    }

    public Path artifacts() {
        return dataDir.resolve("artifacts");
    }

    public Path logs() {
        return dataDir.resolve("logs");
    }
}
