package io.lmaas.worker.wlm;

/** The worker's inference queue is full: rejected at once rather than left to time out. */
public final class CapacityException extends RuntimeException {
    public CapacityException(String message) {
        super(message, null, false, false);
    }
}
