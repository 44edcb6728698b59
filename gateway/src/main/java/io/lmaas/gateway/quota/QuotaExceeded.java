package io.lmaas.gateway.quota;

import io.lmaas.gateway.http.ApiException;
import java.time.Duration;
import java.time.Instant;

/** Maps a budget that cannot admit a request to the answer the client gets. */
final class QuotaExceeded {
    private QuotaExceeded() {
    }

    static ApiException of(BudgetKey key, Instant now) {
        String whose = key.scope() == BudgetKey.Scope.TENANT ? "the tenant's" : "this API key's";
        Limits.Spec spec = key.spec();
        return switch (spec.period()) {
            case MINUTE -> {
                int retry = (int) Math.max(1, (Duration.between(now, key.windowEnd()).toMillis() + 999) / 1000);
                String what = spec.dimension() == Dimension.REQUESTS ? "requests per minute" : "tokens per minute";
                String kind = spec.dimension() == Dimension.REQUESTS ? "requests" : "tokens";
                yield new ApiException(429, "rate_limit_exceeded", "rate_limit_exceeded", null,
                        "Rate limit reached: " + whose + " limit of " + spec.limit() + " " + what + ". Retry in " + retry + " s.",
                        retry).header("x-ratelimit-limit-" + kind, Long.toString(spec.limit()))
                        .header("x-ratelimit-remaining-" + kind, "0")
                        .header("x-ratelimit-reset-" + kind, RateLimitInfo.format(Duration.between(now, key.windowEnd())));
            }
            case DAY, MONTH -> new ApiException(402, "insufficient_quota", "quota_exceeded", null,
                    "Quota exceeded: " + whose + " budget of " + spec.limit() + " tokens per "
                            + spec.period().name().toLowerCase() + " is used up until " + key.windowEnd() + ".", null);
            case NONE -> new ApiException(429, "rate_limit_exceeded", "concurrency_limit_exceeded", null,
                    "Too many concurrent requests: " + whose + " limit is " + spec.limit() + ".", 1);
        };
    }
}
