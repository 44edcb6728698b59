package io.lmaas.gateway.http;

import io.vertx.ext.web.RoutingContext;

/** Typed access to what the gateway's handlers store on a request. */
public final class RequestContext {
    private static final String REQUEST_ID = "lmaas.requestId";
    private static final String STARTED = "lmaas.startedNanos";

    private RequestContext() {
    }

    public static String requestId(RoutingContext ctx) {
        return ctx.get(REQUEST_ID);
    }

    static void setRequestId(RoutingContext ctx, String id) {
        ctx.put(REQUEST_ID, id);
        ctx.put(STARTED, System.nanoTime());
    }

    public static long elapsedMillis(RoutingContext ctx) {
        Long started = ctx.get(STARTED);
        return started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
    }
}
