package io.lmaas.gateway.http;

import io.lmaas.core.ids.Ids;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * Gives every request the gateway's own id (the ledger key) and echoes the client's {@code x-request-id}
 * when it is sane (1–128 of {@code [A-Za-z0-9._:-]}); otherwise the gateway's id is returned. A client
 * id is kept beside the request, never used as the ledger key: reusing one must not dodge metering.
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
        ctx.next();
    }
}
