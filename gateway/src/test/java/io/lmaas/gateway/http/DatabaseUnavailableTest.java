package io.lmaas.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** Which failures mean "PostgreSQL is down or restarting" (answered 503 with Retry-After, never 500). */
class DatabaseUnavailableTest {

    @Test
    void refusedOrClosedConnectionsAndServerShutdownStatesAreUnavailability() {
        assertThat(ErrorHandler.databaseUnavailable(new ConnectException("Connection refused"))).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new RuntimeException("wrapped", new ConnectException("refused")))).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(ClosedConnectionException.INSTANCE)).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new PgException("terminating connection", "FATAL", "57P01", null))).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new PgException("the database system is starting up", "FATAL", "57P03", null)))
                .isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new PgException("connection failure", "FATAL", "08006", null))).isTrue();
        // A backend gone while a query was on its way: the socket is reset (epoll's and NIO's shapes of it).
        assertThat(ErrorHandler.databaseUnavailable(new java.io.IOException("recvAddress(..) failed: Connection reset by peer")))
                .isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new java.net.SocketException("Connection reset"))).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new java.io.IOException("Connection reset by peer"))).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(new java.io.IOException("Broken pipe"))).isTrue();
        // A pooled connection that is closing when a query is given to it, and the queries it had queued.
        assertThat(ErrorHandler.databaseUnavailable(
                io.vertx.core.VertxException.noStackTrace("Connection is not active now, current status: CLOSED"))).isTrue();
        assertThat(ErrorHandler.databaseUnavailable(io.vertx.core.VertxException.noStackTrace(
                "Pending requests failed to be sent due to connection has been closed."))).isTrue();
    }

    @Test
    void otherFailuresAreNot() {
        assertThat(ErrorHandler.databaseUnavailable(new PgException("duplicate key", "ERROR", "23505", null))).isFalse();
        assertThat(ErrorHandler.databaseUnavailable(new IllegalStateException("bug"))).isFalse();
        assertThat(ErrorHandler.databaseUnavailable(new java.io.IOException("No space left on device"))).isFalse();
        assertThat(ErrorHandler.databaseUnavailable(io.vertx.core.VertxException.noStackTrace("Timeout"))).isFalse();
        assertThat(ErrorHandler.databaseUnavailable(null)).isFalse();
    }
}
