package io.lmaas.deploy;

import io.lmaas.core.metrics.ProcessMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vert.x instance of a platform process (gateway, scheduler, local mode): Netty's native epoll transport where the
 * platform has it (Linux x86-64, the gateway's runtime dependency), else NIO; {@code LMAAS_NATIVE_TRANSPORT=false} asks
 * for NIO (to compare). Measured in docs/benchmarks.md (gateway overhead). Vert.x's metrics go to the process's
 * Prometheus registry ({@link ProcessMetrics}): HTTP server requests by matched route, method and status with latency
 * histograms, HTTP client requests (gateway → workers) and pools; {@code LMAAS_VERTX_METRICS=false} leaves them out.
 */
public final class VertxInstances {
    private static final Logger LOG = LoggerFactory.getLogger(VertxInstances.class);

    private VertxInstances() {
    }

    public static Vertx create() {
        boolean nativeTransport = !"false".equalsIgnoreCase(System.getenv("LMAAS_NATIVE_TRANSPORT"));
        boolean metrics = !"false".equalsIgnoreCase(System.getenv("LMAAS_VERTX_METRICS"));
        VertxOptions options = new VertxOptions().setPreferNativeTransport(nativeTransport);
        Vertx vertx;
        if (metrics) {
            options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                    .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME))
                    .addDisabledMetricsCategory(MetricsDomain.NET_SERVER).addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
                    .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET).addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
                    .addDisabledMetricsCategory(MetricsDomain.VERTICLES));
            vertx = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(ProcessMetrics.registry())).build();
        } else {
            vertx = Vertx.vertx(options);
        }
        if (nativeTransport && !vertx.isNativeTransportEnabled()) {
            LOG.info("native transport unavailable ({}); using NIO", String.valueOf(vertx.unavailableNativeTransportCause()));
        }
        return vertx;
    }
}
