package io.lmaas.gateway.http;

import io.lmaas.core.ids.Ids;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/** Echoes a sane {@code x-request-id} or makes one; every answer carries it. */
public final class RequestIdHandler implements Handler<RoutingContext> {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public void handle(RoutingContext ctx) {
        String given = ctx.request().getHeader("x-request-id");
        String id = given != null && SAFE.matcher(given).matches() ? given : Ids.request();
        RequestContext.setRequestId(ctx, id);
        ctx.response().putHeader("x-request-id", id);
        ctx.next();
    }
}
