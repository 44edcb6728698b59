package io.lmaas.gateway.changes;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL LISTEN/NOTIFY for the changes every gateway replica must apply at once: keys
 * ({@code lmaas_keys}: revoked, rotated, limits), tenant limits ({@code lmaas_limits}), and requests to give
 * back unreserved budget ({@code lmaas_quota_reclaim}). Reconnects on
 * its own; after a (re)connect everything cached is dropped, since notifications may have been missed.
 */
public final class ChangeFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);

    /** What to do on each kind of change. */
    public record Listeners(Consumer<String> keyChanged, Consumer<String> limitsChanged, Consumer<String> reclaim,
            Runnable resync) {
    }

    private final PgSubscriber subscriber;

    public ChangeFeed(Vertx vertx, PgConnectOptions options, Listeners listeners) {
        this.subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(attempt -> Math.min(5000L, 100L * (attempt + 1)));
        subscriber.channel("lmaas_keys").handler(listeners.keyChanged()::accept)
                .subscribeHandler(v -> {
                    LOG.debug("listening for key changes");
                    listeners.resync().run();
                });
        subscriber.channel("lmaas_limits").handler(listeners.limitsChanged()::accept);
        subscriber.channel("lmaas_quota_reclaim").handler(listeners.reclaim()::accept);
        subscriber.closeHandler(v -> LOG.warn("change feed connection closed; reconnecting"));
    }

    public Future<Void> start() {
        return subscriber.connect();
    }

    @Override
    public void close() {
        subscriber.close();
    }
}
