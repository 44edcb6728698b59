package io.lmaas.deploy;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vert.x instance of a platform process (gateway, local mode): Netty's native epoll transport where the platform has
 * it (Linux x86-64, the gateway's runtime dependency), else NIO; {@code LMAAS_NATIVE_TRANSPORT=false} asks for NIO (to
 * compare). Measured in docs/benchmarks.md (gateway overhead).
 */
public final class VertxInstances {
    private static final Logger LOG = LoggerFactory.getLogger(VertxInstances.class);

    private VertxInstances() {
    }

    public static Vertx create() {
        boolean nativeTransport = !"false".equalsIgnoreCase(System.getenv("LMAAS_NATIVE_TRANSPORT"));
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
        if (nativeTransport && !vertx.isNativeTransportEnabled()) {
            LOG.info("native transport unavailable ({}); using NIO", String.valueOf(vertx.unavailableNativeTransportCause()));
        }
        return vertx;
    }
}
