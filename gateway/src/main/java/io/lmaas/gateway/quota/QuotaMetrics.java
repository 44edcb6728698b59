package io.lmaas.gateway.quota;

import io.lmaas.gateway.http.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * What the quota service counts: requests refused by reason (the error code the client gets) and by whose budget
 * (tenant or key), lease acquisitions against PostgreSQL by outcome, lease renewals (heartbeats) and the leases
 * renewed, and the leases this replica holds.
 */
final class QuotaMetrics {
    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter renewalsOk;
    private final Counter renewalsFailed;
    private final Counter leasesRenewed;

    QuotaMetrics(MeterRegistry registry, Tags tags, Supplier<Integer> leasesHeld) {
        this.registry = registry;
        this.tags = tags;
        Gauge.builder("lmaas_gateway_leases_held", leasesHeld, Supplier::get).tags(tags)
                .description("quota leases this gateway holds").register(registry);
        renewalsOk = renewals("ok");
        renewalsFailed = renewals("failed");
        leasesRenewed = Counter.builder("lmaas_gateway_leases_renewed").tags(tags)
                .description("leases extended by heartbeats").register(registry);
    }

    private Counter renewals(String outcome) {
        return Counter.builder("lmaas_gateway_lease_renewals").tags(tags).tag("outcome", outcome)
                .description("lease heartbeats (one statement renews all of this gateway's live leases)").register(registry);
    }

    /** The answer for a budget that cannot admit the request, counted. */
    ApiException rejected(BudgetKey key, Instant now) {
        ApiException e = QuotaExceeded.of(key, now);
        Counter.builder("lmaas_gateway_quota_rejections").tags(tags).tag("reason", e.code())
                .tag("scope", key.scope().name().toLowerCase()).description("requests a quota refused, by reason and budget")
                .register(registry).increment();
        return e;
    }

    /** A lease asked of PostgreSQL: granted, refused (nothing left), or failed (the database did not answer). */
    void acquisition(String outcome) {
        Counter.builder("lmaas_gateway_lease_acquisitions").tags(tags).tag("outcome", outcome)
                .description("quota leases asked of PostgreSQL, by outcome").register(registry).increment();
    }

    void renewal(boolean ok, int leases) {
        (ok ? renewalsOk : renewalsFailed).increment();
        if (ok) {
            leasesRenewed.increment(leases);
        }
    }
}
