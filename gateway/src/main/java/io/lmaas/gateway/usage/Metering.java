package io.lmaas.gateway.usage;

import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.Outcome;
import io.lmaas.gateway.http.RequestContext;
import io.lmaas.gateway.quota.Admission;
import io.lmaas.gateway.quota.LeaseUse;
import io.lmaas.gateway.quota.RateLimitInfo;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Meters every authenticated tenant request: {@link #begin()} opens a draft after authentication,
 * handlers record the admission, model and token counts on it, and {@link #finish} settles the quota
 * reservation and writes exactly one ledger row — durable before the response is sent, whatever the
 * outcome (success, error, disconnect, partial stream).
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
        private volatile Admission admission;

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

        public void admission(Admission admission) {
            this.admission = admission;
        }

        public boolean finished() {
            return finished.get();
        }

        public Admission admissionOrNull() {
            return admission;
        }
    }

    private final LedgerWriter ledger;
    private final String gatewayId;

    public Metering(LedgerWriter ledger, String gatewayId) {
        this.ledger = ledger;
        this.gatewayId = gatewayId;
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

    /**
     * Settles the request's quota reservation and writes its ledger row once. Requests without a
     * principal (401) or draft are not tenant requests and are not metered.
     */
    public Future<Void> finish(RoutingContext ctx, Outcome outcome) {
        Draft d = ctx.get(DRAFT);
        TenantPrincipal principal = TenantPrincipal.of(ctx);
        if (d == null || principal == null || !d.finished.compareAndSet(false, true)) {
            return Future.succeededFuture();
        }
        RequestContext.logField(ctx, "tenant_id", principal.tenantId());
        RequestContext.logField(ctx, "key_id", principal.keyId());
        RequestContext.logField(ctx, "model", d.model);
        RequestContext.logField(ctx, "prompt_tokens", d.promptTokens);
        RequestContext.logField(ctx, "completion_tokens", d.completionTokens);
        List<LeaseUse> uses = List.of();
        Admission admission = d.admission;
        if (admission != null) {
            uses = admission.settle((long) d.promptTokens + d.completionTokens);
            rateLimitHeaders(ctx.response(), admission.rateLimits());
        }
        return ledger.append(new UsageRow(RequestContext.requestId(ctx), RequestContext.clientRequestId(ctx), gatewayId,
                principal.tenantId(), principal.keyId(), d.model, d.endpoint, d.promptTokens, d.completionTokens,
                outcome.status(), outcome.errorCode(), RequestContext.elapsedMillis(ctx), null), uses);
    }

    /** Puts the admission's {@code x-ratelimit-*} headers on the response, if its head is not written yet. */
    public static void rateLimitHeaders(HttpServerResponse response, Admission admission) {
        if (admission != null) {
            rateLimitHeaders(response, admission.rateLimits());
        }
    }

    private static void rateLimitHeaders(HttpServerResponse response, RateLimitInfo info) {
        if (info == null || response.headWritten()) {
            return;
        }
        if (info.limitRequests() != null) {
            response.putHeader("x-ratelimit-limit-requests", info.limitRequests().toString())
                    .putHeader("x-ratelimit-remaining-requests", info.remainingRequests().toString())
                    .putHeader("x-ratelimit-reset-requests", RateLimitInfo.format(info.resetRequests()));
        }
        if (info.limitTokens() != null) {
            response.putHeader("x-ratelimit-limit-tokens", info.limitTokens().toString())
                    .putHeader("x-ratelimit-remaining-tokens", info.remainingTokens().toString())
                    .putHeader("x-ratelimit-reset-tokens", RateLimitInfo.format(info.resetTokens()));
        }
    }

    private static String truncate(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }
}
