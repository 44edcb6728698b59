package io.lmaas.core.deployments;

/** Observed state of one replica's endpoint. Only {@code READY} endpoints receive traffic. */
public enum EndpointState {
    STARTING,
    READY,
    FAILED;

    public String wireName() {
        return name().toLowerCase();
    }

    public static EndpointState fromWire(String s) {
        return valueOf(s.toUpperCase());
    }
}
