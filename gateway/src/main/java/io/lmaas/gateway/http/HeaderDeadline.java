package io.lmaas.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Closes a connection whose next request's headers do not arrive in time: counted from the connection's start,
 * and on a kept-alive connection from the end of the previous answer (so a client cannot hold a connection by
 * sending headers a byte at a time). The server must not accept cleartext HTTP/2 (h2c): its protocol detection creates the
 * connection only after a whole first request, which would leave the first request's headers unbounded. One per event loop: its state is touched only on that loop.
 */
public final class HeaderDeadline {
    private final Vertx vertx;
    private final long timeoutMs;
    private final Map<HttpConnection, State> connections = new IdentityHashMap<>();

    public HeaderDeadline(Vertx vertx, RequestGuards guards) {
        this.vertx = vertx;
        this.timeoutMs = guards.headerTimeout().toMillis();
    }

    /** For {@code HttpServer.connectionHandler}. */
    public void connected(HttpConnection connection) {
        State state = new State();
        connections.put(connection, state);
        arm(connection, state);
        connection.closeHandler(v -> {
            State gone = connections.remove(connection);
            if (gone != null) {
                disarm(gone);
            }
        });
    }

    /** First on every request: its headers are complete; the clock restarts when the last answer in flight ends. */
    public Handler<RoutingContext> handler() {
        return ctx -> {
            HttpConnection connection = ctx.request().connection();
            State state = connections.get(connection);
            if (state != null) {
                disarm(state);
                state.inFlight++;
                ctx.addEndHandler(ar -> {
                    state.inFlight--;
                    if (state.inFlight == 0 && ar.succeeded() && connections.get(connection) == state) {
                        arm(connection, state);
                    }
                });
            }
            ctx.next();
        };
    }

    private void arm(HttpConnection connection, State state) {
        disarm(state);
        state.timer = vertx.setTimer(timeoutMs, t -> {
            state.timer = -1;
            connection.close();
        });
    }

    private void disarm(State state) {
        if (state.timer >= 0) {
            vertx.cancelTimer(state.timer);
            state.timer = -1;
        }
    }

    private static final class State {
        long timer = -1;
        int inFlight;
    }
}
