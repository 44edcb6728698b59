package io.lmaas.core.metrics;

import io.lmaas.core.secrets.WorkerToken;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpServerRequest;

/**
 * The Prometheus registry of a platform process (gateway, scheduler, or both in local mode): the roles'
 * own meters ({@code lmaas_gateway_*}, {@code lmaas_scheduler_*}), Vert.x's HTTP and pool metrics where the
 * process's Vert.x was built with them, and the JVM's memory, threads, CPU and uptime. Scraped with a bearer
 * token (the gateway's: the internal token, as a worker's {@code /metrics}; the scheduler's: its metrics token):
 * the figures name routes, models and reasons, never tenants' content, but they are not public.
 */
public final class ProcessMetrics {
    private static final PrometheusMeterRegistry REGISTRY = create();

    private ProcessMetrics() {
    }

    private static PrometheusMeterRegistry create() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Vert.x's request timers as histograms (latency quantiles across replicas in PromQL).
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return id.getName().endsWith(".response.time") && id.getName().startsWith("vertx.http.")
                        ? DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config) : config;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    public static PrometheusMeterRegistry registry() {
        return REGISTRY;
    }

    /**
     * Answers a scrape: 401 without {@code token}, 404 where no token is configured (nothing could be allowed
     * to read them), else the text format.
     */
    public static void scrape(HttpServerRequest req, String token) {
        if (token == null || token.isEmpty()) {
            req.response().setStatusCode(404).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"message\":\"metrics need the internal token configured\",\"code\":\"not_found\"}}");
        } else if (!WorkerToken.matches(token, req.getHeader("authorization"))) {
            req.response().setStatusCode(401).putHeader("content-type", "application/json")
                    .putHeader("www-authenticate", "Bearer")
                    .end("{\"error\":{\"message\":\"metrics need the internal token\",\"code\":\"unauthorized\"}}");
        } else {
            req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(REGISTRY.scrape());
        }
    }
}
