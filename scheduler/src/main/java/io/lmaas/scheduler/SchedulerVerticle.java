package io.lmaas.scheduler;

import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.scheduler.backend.ServingBackend;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployment reconcile loop: read the whole desired state from PostgreSQL, let the backend drive
 * towards it, publish what it observes as endpoints (only when that changed). Runs on a timer and
 * whenever the backend reports a change; never two reconciles at once, never sleeps inside one.
 */
public final class SchedulerVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(SchedulerVerticle.class);

    private final DeploymentRepository deployments;
    private final EndpointRepository endpoints;
    private final ServingBackend backend;
    private final Duration interval;
    private boolean running;
    private boolean again;
    private List<ObservedEndpoint> published;
    private long timer = -1;

    public SchedulerVerticle(DeploymentRepository deployments, EndpointRepository endpoints, ServingBackend backend,
            Duration interval) {
        this.deployments = deployments;
        this.endpoints = endpoints;
        this.backend = backend;
        this.interval = interval;
    }

    @Override
    public Future<?> start() {
        var context = vertx.getOrCreateContext();
        backend.onChange(() -> context.runOnContext(v -> trigger()));
        timer = vertx.setPeriodic(interval.toMillis(), id -> trigger());
        trigger();
        return Future.succeededFuture();
    }

    /** Asks for a reconcile; if one is running, one more follows it. */
    public void trigger() {
        if (running) {
            again = true;
            return;
        }
        running = true;
        long started = System.nanoTime();
        reconcile().onComplete(ar -> {
            running = false;
            SchedulerMetrics.reconciled("deployments", ar.succeeded(), System.nanoTime() - started);
            if (ar.failed()) {
                LOG.warn("reconcile failed: {}", ar.cause().toString());
            }
            if (again) {
                again = false;
                trigger();
            }
        });
    }

    private Future<Void> reconcile() {
        return deployments.listDesired()
                .compose(backend::reconcile)
                .compose(observed -> {
                    if (observed.equals(published)) {
                        return Future.succeededFuture();
                    }
                    return endpoints.replaceAll(observed).onSuccess(v -> published = observed);
                })
                // Deployments deleted through the admin API go once none of their replicas is observed any more.
                .compose(v -> deployments.purgeDeleting(published == null ? List.of()
                        : published.stream().map(ObservedEndpoint::deploymentId).distinct().toList()))
                .mapEmpty();
    }

    @Override
    public Future<?> stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        return vertx.executeBlocking(() -> {
            backend.close();
            return null;
        }).compose(v -> endpoints.replaceAll(List.of())).recover(e -> {
            LOG.warn("endpoints not cleared at shutdown: {}", e.getMessage());
            return Future.succeededFuture();
        });
    }
}
