package io.lmaas.worker.runtime;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Inference records no gradients, on whatever thread it runs. libtorch's grad mode is per thread and on by default: DJL
 * turns it off only on the thread that starts the engine, so every other thread (the batcher's inference threads, the
 * generation loop, a batch worker's) ran with it on. There the fused encoder layer never applied ({@code EncoderKernel}
 * applies only where no gradient is recorded, which is how explanations and training keep the op-by-op layers), and a
 * network whose parameters require gradients built an autograd graph at every forward pass. Every inference entry point
 * of the runtimes runs its body through {@link #run}; a gradient collector (training, integrated gradients) is never
 * inside one, and where one were, its mode is restored after.
 */
public final class NoGradients {
    private NoGradients() {
    }

    /** {@code body} with grad mode off on this thread; the thread's mode as it was afterwards. */
    public static <T> T run(Supplier<T> body) {
        if (!JniUtils.isGradMode()) {
            return body.get();
        }
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(true);
        }
    }
}
