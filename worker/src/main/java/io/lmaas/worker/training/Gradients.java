package io.lmaas.worker.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Gradient housekeeping the trainers share. */
final class Gradients {
    private static final NDIndex ALL = new NDIndex("...");

    private Gradients() {
    }

    /**
     * Sets a gradient to zero in place by a fill. Never by {@code g.subi(g)} or {@code g.muli(0)}: on a gradient
     * holding NaN or infinity those leave NaN, and every later step would see a "non-finite gradient" and be
     * skipped: one bad step would end the run as diverged.
     */
    static void clear(NDArray gradient) {
        gradient.set(ALL, 0f);
    }
}
