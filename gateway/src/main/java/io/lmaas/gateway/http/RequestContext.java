package io.lmaas.gateway.http;

import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/** Typed access to what the gateway's handlers store on a request. */
public final class RequestContext {
    private static final String REQUEST_ID = "lmaas.requestId";
    private static final String CLIENT_REQUEST_ID = "lmaas.clientRequestId";
    private static final String STARTED = "lmaas.startedNanos";
    private static final String LOG_FIELDS = "lmaas.logFields";

    private RequestContext() {
    }

    /** The gateway's own id for this request (the ledger key; never chosen by the client). */
    public static String requestId(RoutingContext ctx) {
        return ctx.get(REQUEST_ID);
    }

    /** The {@code x-request-id} the client sent, if it was acceptable; else null. */
    public static String clientRequestId(RoutingContext ctx) {
        return ctx.get(CLIENT_REQUEST_ID);
    }

    static void set(RoutingContext ctx, String id, String clientId) {
        ctx.put(REQUEST_ID, id);
        if (clientId != null) {
            ctx.put(CLIENT_REQUEST_ID, clientId);
        }
        ctx.put(STARTED, System.nanoTime());
    }

    /** Adds a field to the request's structured log line (written when the response ends). */
    public static void logField(RoutingContext ctx, String key, Object value) {
        logFields(ctx).put(key, value);
    }

    static Map<String, Object> logFields(RoutingContext ctx) {
        Map<String, Object> fields = ctx.get(LOG_FIELDS);
        if (fields == null) {
            fields = new LinkedHashMap<>();
            ctx.put(LOG_FIELDS, fields);
        }
        return fields;
    }

    static long startedNanos(RoutingContext ctx) {
        Long started = ctx.get(STARTED);
        return started == null ? System.nanoTime() : started;
    }

    public static long elapsedMillis(RoutingContext ctx) {
        Long started = ctx.get(STARTED);
        return started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
    }

    /** How log lines name a request: the gateway's id, and the client's when it sent one. */
    public static String logTag(RoutingContext ctx) {
        String client = clientRequestId(ctx);
        return client == null ? requestId(ctx) : requestId(ctx) + "/" + client;
    }
}
