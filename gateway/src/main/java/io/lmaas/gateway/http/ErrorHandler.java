package io.lmaas.gateway.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place failures become HTTP answers. Known failures keep their status and code; anything else
 * is logged with the request id and answered 500 {@code internal_error} without internals.
 */
public final class ErrorHandler implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorHandler.class);

    private final Responder responder;
    private final MeterRegistry metrics;
    private final Tags tags;

    /** Counts every answer it gives in {@code lmaas_gateway_errors} by code and status. */
    public ErrorHandler(Responder responder, MeterRegistry metrics, Tags tags) {
        this.responder = responder;
        this.metrics = metrics;
        this.tags = tags;
    }

    @Override
    public void handle(RoutingContext ctx) {
        ApiException e = map(ctx);
        Counter.builder("lmaas_gateway_errors").tags(tags).tag("code", e.code()).tag("status", Integer.toString(e.status()))
                .description("error answers by code (quota, validation, routing, upstream) and status").register(metrics).increment();
        responder.error(ctx, e);
    }

    /**
     * Whether {@code failure} (or a cause) says PostgreSQL cannot be reached or is restarting: a refused, closed or
     * reset connection (a backend that exits while a query is on its way resets the socket: the client sees
     * {@code ECONNRESET} or {@code EPIPE} as a socket error, not as a closed connection), or SQLSTATE class 08
     * (connection exception) or 57P01-57P03 (shut down, crashed, starting up). Workers' socket errors never get here:
     * the proxy maps them to upstream errors first.
     */
    static boolean databaseUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof io.vertx.sqlclient.ClosedConnectionException
                    || t instanceof java.net.SocketException
                    || (t instanceof java.io.IOException || t instanceof io.vertx.core.VertxException) && socketGone(t.getMessage())) {
                return true;
            }
            if (t instanceof io.vertx.sqlclient.DatabaseException db && db.getSqlState() != null
                    && (db.getSqlState().startsWith("08") || db.getSqlState().matches("57P0[123]"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A connection that went away, as the SQL client and Netty word it: the client fails a command given to a pooled
     * connection that is closing with "Connection is not active now, current status: CLOSED" and the commands it had
     * queued with "Pending requests failed to be sent due to connection has been closed." (exceptions without a
     * cause); Netty's native transport reports a reset as "recvAddress(..) failed: Connection reset by peer".
     */
    private static boolean socketGone(String message) {
        return message != null && (message.contains("Connection reset") || message.contains("Broken pipe")
                || message.startsWith("Connection is not active now") || message.startsWith("Pending requests failed to be sent"));
    }

    private static ApiException map(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        ApiException aborted = RequestBodies.aborted(ctx);
        if (aborted != null) {
            return aborted;
        }
        if (failure instanceof ApiException api) {
            return api;
        }
        if (databaseUnavailable(failure)) {
            LOG.warn("[{}] database unavailable: {}", RequestContext.logTag(ctx), String.valueOf(failure));
            return ApiException.unavailable("database_unavailable", "The platform's database is unavailable; retry shortly.", 2);
        }
        if (failure instanceof io.lmaas.core.crypto.KeyUnavailableException) {
            // A sealed artifact whose data key this gateway cannot open (its master key is not configured here).
            LOG.error("[{}] {}", RequestContext.logTag(ctx), failure.getMessage());
            return ApiException.unavailable("data_key_unavailable", "This gateway cannot open the tenant's data key;"
                    + " the operator must configure its master key.", 30);
        }
        if (failure instanceof DecodeException) {
            return ApiException.badRequest("invalid_json", null, "request body is not valid JSON");
        }
        if (ctx.response().closed() && !(failure instanceof HttpException)) {
            // The client went away mid-request: nothing to answer and nothing wrong here (metered as 499, nginx's code).
            LOG.debug("[{}] client closed the connection: {}", RequestContext.logTag(ctx), String.valueOf(failure));
            return new ApiException(499, "invalid_request_error", "client_closed_request", null, "the client closed the connection",
                    null);
        }
        int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
        return switch (status) {
            case 400 -> ApiException.badRequest("invalid_request", null, "the request is malformed");
            case 404 -> ApiException.notFound("not_found", "no such route: " + ctx.request().method() + " " + ctx.request().path());
            case 405 -> new ApiException(405, "invalid_request_error", "method_not_allowed", null,
                    "method " + ctx.request().method() + " is not allowed on " + ctx.request().path(), null);
            case 408 -> new ApiException(408, "invalid_request_error", "request_timeout", null, "the request was not sent in time", null);
            case 413 -> new ApiException(413, "invalid_request_error", "request_too_large", null, "request body is too large", null);
            default -> {
                LOG.error("[{}] unhandled failure on {} {}", RequestContext.logTag(ctx), ctx.request().method(),
                        ctx.request().path(), failure);
                yield new ApiException(500, "server_error", "internal_error",
                        null, "internal error; quote request id " + RequestContext.requestId(ctx), null);
            }
        };
    }
}
