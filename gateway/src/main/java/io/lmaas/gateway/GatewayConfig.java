package io.lmaas.gateway;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.gateway.http.RequestGuards;
import io.lmaas.gateway.identity.KeycloakSettings;
import io.lmaas.gateway.quota.QuotaService;
import java.time.Duration;
import java.util.Optional;

/**
 * Gateway settings: identity and address, the database, the bootstrap admin token, the key-hashing
 * secret, routing refresh, caches, worker timeout, body limit, quota lease tuning, event loops, and how long a
 * request waits for a model with no ready replica before 503 {@code model_not_ready}, and the artifact store
 * registered model versions are copied into and files are stored in (empty: registered in place; no files API),
 * and the largest file an upload may be, and the Keycloak realm console users sign in with (empty: the
 * bootstrap admin token only), and the bounds on slow or stalled clients and on the store's free space, and the
 * internal token every call to a worker carries ({@code LMAAS_WORKER_TOKEN}; see {@link #withWorkerToken}).
 */
public record GatewayConfig(String gatewayId, String host, int port, DatabaseUrl database, String adminToken,
        byte[] keyHashSecret, Duration routingRefresh, Duration keyCacheTtl, Duration workerTimeout, int bodyLimitBytes,
        QuotaService.Settings quota, int eventLoops, Duration readyWait, Optional<ArtifactStore> artifacts, long fileLimitBytes,
        Optional<KeycloakSettings> keycloak, RequestGuards guards, String workerToken) {

    public static final int DEFAULT_BODY_LIMIT = 1024 * 1024;
    /** Largest file {@code POST /v1/files} accepts (streamed to disk, never held in memory). */
    public static final long DEFAULT_FILE_LIMIT = 512L * 1024 * 1024;
    public static final Duration DEFAULT_READY_WAIT = Duration.ofSeconds(10);

    public static int defaultEventLoops() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** With the default {@link RequestGuards} and no worker token yet ({@link #withWorkerToken}). */
    public GatewayConfig(String gatewayId, String host, int port, DatabaseUrl database, String adminToken,
            byte[] keyHashSecret, Duration routingRefresh, Duration keyCacheTtl, Duration workerTimeout, int bodyLimitBytes,
            QuotaService.Settings quota, int eventLoops, Duration readyWait, Optional<ArtifactStore> artifacts, long fileLimitBytes,
            Optional<KeycloakSettings> keycloak) {
        this(gatewayId, host, port, database, adminToken, keyHashSecret, routingRefresh, keyCacheTtl, workerTimeout, bodyLimitBytes,
                quota, eventLoops, readyWait, artifacts, fileLimitBytes, keycloak, RequestGuards.DEFAULT, null);
    }

    public GatewayConfig withKeycloak(Optional<KeycloakSettings> settings) {
        return new GatewayConfig(gatewayId, host, port, database, adminToken, keyHashSecret, routingRefresh, keyCacheTtl,
                workerTimeout, bodyLimitBytes, quota, eventLoops, readyWait, artifacts, fileLimitBytes, settings, guards, workerToken);
    }

    public GatewayConfig withGuards(RequestGuards settings) {
        return new GatewayConfig(gatewayId, host, port, database, adminToken, keyHashSecret, routingRefresh, keyCacheTtl,
                workerTimeout, bodyLimitBytes, quota, eventLoops, readyWait, artifacts, fileLimitBytes, keycloak, settings, workerToken);
    }

    /** With the workers' internal token: a gateway without one does not start (workers would refuse it). */
    public GatewayConfig withWorkerToken(String token) {
        return new GatewayConfig(gatewayId, host, port, database, adminToken, keyHashSecret, routingRefresh, keyCacheTtl,
                workerTimeout, bodyLimitBytes, quota, eventLoops, readyWait, artifacts, fileLimitBytes, keycloak, guards, token);
    }

    @Override
    public String toString() {
        return "GatewayConfig[id=" + gatewayId + ", host=" + host + ", port=" + port + ", database=" + database
                + ", adminToken=<redacted>, keyHashSecret=<redacted>, workerToken=<redacted>]";
    }
}
