package io.lmaas.gateway.http;

import io.lmaas.core.ids.Ids;
import io.lmaas.core.logging.RequestLog;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * Gives every request the gateway's own id (the ledger key) and echoes the client's {@code x-request-id}
 * when it is sane (1–128 of {@code [A-Za-z0-9._:-]}); otherwise the gateway's id is returned. A client
 * id is kept beside the request, never used as the ledger key: reusing one must not dodge metering.
 * When the response ends, the request's structured line is written ({@link RequestLog}).
 */
public final class RequestIdHandler implements Handler<RoutingContext> {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public void handle(RoutingContext ctx) {
        String given = ctx.request().getHeader("x-request-id");
        String client = given != null && SAFE.matcher(given).matches() ? given : null;
        String id = Ids.request();
        RequestContext.set(ctx, id, client);
        ctx.response().putHeader("x-request-id", client != null ? client : id);
        ctx.addEndHandler(v -> {
            java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
            fields.put("client_request_id", client);
            fields.putAll(RequestContext.logFields(ctx));
            RequestLog.finished(id, ctx.request().method().name(), ctx.request().path(), ctx.response().getStatusCode(),
                    System.nanoTime() - RequestContext.startedNanos(ctx), fields);
        });
        ctx.next();
    }
}
