package io.lmaas.worker.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /** An optimiser's update of one parameter. */
    @FunctionalInterface
    interface Update {
        void apply(String name, NDArray weight, NDArray gradient);
    }

    /**
     * Clips the gradients of {@code parameters} to a global norm of 1 and hands each to {@code update}; the gradients
     * are cleared afterwards. A non-finite gradient (a finite loss can still overflow one) is applied nowhere and
     * cleared: returns false. The gradients' handles live in {@code step}.
     */
    static boolean clipAndApply(NDManager step, Map<String, NDArray> parameters, Update update) {
        Map<String, NDArray> gradients = new LinkedHashMap<>();
        double squares = 0;
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(step);
            gradients.put(e.getKey(), g);
            squares += g.square().sum().getFloat();
        }
        if (!Double.isFinite(squares)) {
            gradients.values().forEach(Gradients::clear);
            return false;
        }
        float scale = (float) Math.min(1.0, 1.0 / (Math.sqrt(squares) + 1e-6));
        for (Map.Entry<String, NDArray> e : gradients.entrySet()) {
            NDArray g = e.getValue();
            if (scale < 1f) {
                g.muli(scale);
            }
            update.apply(e.getKey(), parameters.get(e.getKey()), g);
            clear(g);
        }
        return true;
    }
}
