package io.lmaas.gateway.quota;

/**
 * What a budget counts. Requests and tokens are consumed for good within their window; concurrency is a
 * gauge: a slot is taken at admission and given back when the request ends.
 */
public enum Dimension {
    REQUESTS,
    TOKENS,
    CONCURRENCY;

    public boolean gauge() {
        return this == CONCURRENCY;
    }
}
