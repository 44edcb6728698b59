package io.lmaas.worker.serve;

/**
 * Lifecycle of the served model: loading (and warming up) at start, then ready, or failed with a reason;
 * draining once asked to stop (running work finishes, new work goes elsewhere).
 */
public enum ModelState {
    LOADING,
    READY,
    FAILED,
    DRAINING
}
