package io.lmaas.gateway.http;

/** How a request ended: the HTTP status and, for errors, the machine-readable code. */
public record Outcome(int status, String errorCode) {
}
