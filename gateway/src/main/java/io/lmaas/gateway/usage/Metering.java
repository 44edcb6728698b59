package io.lmaas.gateway.usage;

import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.Outcome;
import io.lmaas.gateway.http.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Meters every authenticated tenant request: {@link #begin()} opens a draft after authentication,
 * handlers fill in model and token counts, and {@link #finish} writes exactly one ledger row, before the
 * response is sent, whatever the outcome.
 */
public final class Metering {
    private static final String DRAFT = "lmaas.usage";
    private static final int MAX_TEXT = 200;

    /** What a handler knows about the request's usage so far. */
    public static final class Draft {
        private final String endpoint;
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile String model;
        private volatile int promptTokens;
        private volatile int completionTokens;

        Draft(String endpoint) {
            this.endpoint = endpoint;
        }

        public void model(String model) {
            this.model = model == null ? null : truncate(model);
        }

        public void tokens(int prompt, int completion) {
            this.promptTokens = prompt;
            this.completionTokens = completion;
        }
    }

    private final UsageRepository ledger;

    public Metering(UsageRepository ledger) {
        this.ledger = ledger;
    }

    /** Route handler placed right after authentication. */
    public Handler<RoutingContext> begin() {
        return ctx -> {
            ctx.put(DRAFT, new Draft(truncate(ctx.request().path())));
            ctx.next();
        };
    }

    /** The request's draft; handlers of metered routes always have one. */
    public static Draft draft(RoutingContext ctx) {
        return ctx.get(DRAFT);
    }

    /** Writes the request's ledger row once; requests without a principal (401) or draft are not tenant requests. */
    public Future<Void> finish(RoutingContext ctx, Outcome outcome) {
        Draft d = ctx.get(DRAFT);
        TenantPrincipal principal = TenantPrincipal.of(ctx);
        if (d == null || principal == null || !d.finished.compareAndSet(false, true)) {
            return Future.succeededFuture();
        }
        return ledger.insert(new UsageRow(RequestContext.requestId(ctx), principal.tenantId(), principal.keyId(), d.model,
                d.endpoint, d.promptTokens, d.completionTokens, outcome.status(), outcome.errorCode(),
                RequestContext.elapsedMillis(ctx), null));
    }

    private static String truncate(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }
}
