package io.lmaas.worker.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.nn.EncoderClassifier;
import io.lmaas.worker.nn.TransformerSpec;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A step whose gradient is not finite is skipped and leaves nothing behind: the next step trains normally. (A
 * gradient "zeroed" as g - g stayed NaN, so one bad step turned every later one into a skipped step and the run
 * failed as diverged; seen as fine-tunes diverging under garbage-collection pressure.)
 */
class NonFiniteStepTest {

    @Test
    void aPoisonedGradientIsSkippedAndClearedSoTrainingGoesOn() {
        EncoderClassifier block = new EncoderClassifier(new TransformerSpec(64, 16, 2, 1, 16), 3);
        Random random = new Random(3);
        try (Trainers.Session session = Trainers.open("t", block, new TrainingOptions(1, 4, 1e-3f, 1), new Shape(4, 8),
                new Shape(4, 8))) {
            assertThat(session.step(m -> batch(m, random))).isFinite();

            // Poison one accumulated gradient as a corrupted backward would.
            NDArray weight = block.getParameters().get(0).getValue().getArray();
            try (NDArray g = weight.getGradient()) {
                g.set(new NDIndex("..."), Float.NaN);
            }
            assertThat(session.step(m -> batch(m, random))).isNaN();
            try (NDArray before = weight.duplicate()) {
                for (int i = 0; i < 3; i++) {
                    assertThat(session.step(m -> batch(m, random))).isFinite();
                }
                assertThat(weight.isNaN().any().getBoolean()).isFalse();
                assertThat(weight.sub(before).abs().max().getFloat()).isPositive(); // it did train on
            }
            for (var p : block.getParameters()) {
                assertThat(p.getValue().getArray().isNaN().any().getBoolean()).as(p.getKey()).isFalse();
            }
        }
    }

    @Test
    void clearingAGradientHoldingNanAndInfinityLeavesZeros() {
        try (var m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            NDArray g = m.create(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 2f, Float.NEGATIVE_INFINITY});
            Gradients.clear(g);
            assertThat(g.toFloatArray()).containsExactly(0f, 0f, 0f, 0f);
        }
    }

    private static NDList[] batch(ai.djl.ndarray.NDManager m, Random random) {
        long[] ids = new long[4 * 8];
        float[] keep = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(64);
            keep[i] = i % 8 < 6 ? 1f : 0f;
        }
        int[] labels = {0, 1, 2, 1};
        return new NDList[] {new NDList(m.create(ids, new Shape(4, 8)), m.create(keep, new Shape(4, 8))), new NDList(m.create(labels))};
    }
}
