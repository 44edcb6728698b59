package io.lmaas.worker.serve;

/** Lifecycle of the served model: loading at start, then ready, or failed with a reason. */
public enum ModelState {
    LOADING,
    READY,
    FAILED
}
