package io.lmaas.gateway.inference;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ReadyEndpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of models and ready endpoints: refreshed from PostgreSQL (written by the scheduler)
 * on a short interval, so the request path never reads the database or asks a worker for it.
 */
public final class EndpointDirectory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointDirectory.class);

    private final Vertx vertx;
    private final ModelCatalogRepository catalog;
    private final EndpointRepository endpoints;
    private final AtomicInteger roundRobin = new AtomicInteger();
    private volatile RoutingTable table = RoutingTable.EMPTY;
    private long timer = -1;

    public EndpointDirectory(Vertx vertx, ModelCatalogRepository catalog, EndpointRepository endpoints) {
        this.vertx = vertx;
        this.catalog = catalog;
        this.endpoints = endpoints;
    }

    /** Loads once, then keeps refreshing every {@code interval}. */
    public Future<Void> start(Duration interval) {
        return refresh().onSuccess(v -> timer = vertx.setPeriodic(interval.toMillis(), id -> refresh()
                .onFailure(e -> LOG.warn("endpoint refresh failed: {}", e.toString()))));
    }

    public Future<Void> refresh() {
        return catalog.listWithVersions()
                .compose(models -> endpoints.listReady().compose(ready -> catalog.adapterArtifacts()
                        .map(adapters -> RoutingTable.of(models, ready, adapters))))
                .onSuccess(t -> table = t)
                .mapEmpty();
    }

    RoutingTable table() {
        return table;
    }

    /**
     * The model's ready endpoints; while it has none, waits (checking every 100 ms) up to {@code wait} for
     * one to appear — a deployment that is starting answers soon rather than 503 at once.
     */
    Future<List<ReadyEndpoint>> awaitCandidates(String modelId, Duration wait) {
        List<ReadyEndpoint> now = candidates(modelId);
        if (!now.isEmpty() || wait.isZero() || wait.isNegative()) {
            return Future.succeededFuture(now);
        }
        io.vertx.core.Promise<List<ReadyEndpoint>> found = io.vertx.core.Promise.promise();
        long deadline = System.nanoTime() + wait.toNanos();
        vertx.setPeriodic(100, id -> {
            List<ReadyEndpoint> c = candidates(modelId);
            if (!c.isEmpty() || System.nanoTime() >= deadline) {
                vertx.cancelTimer(id);
                found.tryComplete(c);
            }
        });
        return found.future();
    }

    /** The model's ready endpoints, rotated so that successive requests start at different replicas. */
    List<ReadyEndpoint> candidates(String modelId) {
        List<ReadyEndpoint> ready = table.ready(modelId);
        if (ready.size() <= 1) {
            return ready;
        }
        int start = Math.floorMod(roundRobin.getAndIncrement(), ready.size());
        List<ReadyEndpoint> out = new ArrayList<>(ready.size());
        for (int i = 0; i < ready.size(); i++) {
            out.add(ready.get((start + i) % ready.size()));
        }
        return out;
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
