package io.lmaas.gateway.quota;

/** How much of a lease one request consumed for good; written with the request's ledger row. */
public record LeaseUse(long leaseId, long amount) {
}
