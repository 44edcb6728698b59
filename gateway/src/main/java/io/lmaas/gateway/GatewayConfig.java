package io.lmaas.gateway;

import java.time.Duration;

/**
 * Gateway settings: where to listen, the bootstrap admin token, the key-hashing secret, how often to
 * refresh routing, how long to wait for a worker.
 */
public record GatewayConfig(String host, int port, String adminToken, byte[] keyHashSecret, Duration routingRefresh,
        Duration keyCacheTtl, Duration workerTimeout, int bodyLimitBytes) {

    @Override
    public String toString() {
        return "GatewayConfig[host=" + host + ", port=" + port + ", adminToken=<redacted>, keyHashSecret=<redacted>]";
    }
}
