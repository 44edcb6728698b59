package io.lmaas.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The batched key/value cache under churn: rows of random lengths join (longer and shorter than the
 * batch), leave in random subsets, run into the model's window (the batch compacts its columns) — and
 * every row's logits at every step stay those of a full forward pass over its own window.
 */
class DecodeBatchTest {
    private static final double TOLERANCE = 1e-4;

    @Test
    void everyRowMatchesAFullForwardPassThroughJoinsLeavesAndCompaction() throws URISyntaxException {
        Path fixture = Path.of(DecodeBatchTest.class.getResource("/fixtures/tiny-generator").toURI());
        Random random = new Random(7);
        int joins = 0;
        int leaves = 0;
        int compactions = 0;
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(fixture);
                DecodeBatch batch = runtime.newBatch()) {
            int vocab = runtime.vocabSize();
            int max = runtime.maxLength();
            List<long[]> windows = new ArrayList<>();
            for (int iteration = 0; iteration < 400; iteration++) {
                if (windows.size() < 7 && random.nextInt(3) == 0) {
                    long[] prompt = random.longs(1 + random.nextInt(max - 2), 0, vocab).toArray();
                    KvCache cache = runtime.newCache();
                    assertClose(runtime.prefill(cache, prompt), runtime.logits(prompt));
                    runtime.join(batch, cache);
                    windows.add(prompt);
                    joins++;
                }
                List<Integer> keep = new ArrayList<>();
                for (int i = 0; i < windows.size(); i++) {
                    boolean full = windows.get(i).length >= max;
                    if (!full && random.nextInt(12) != 0) {
                        keep.add(i);
                    }
                }
                if (keep.size() != windows.size()) {
                    int[] ascending = keep.stream().mapToInt(Integer::intValue).toArray();
                    // Both orders retain takes: ascending, and holes filled from the tail (as the engine does).
                    int[] order = random.nextBoolean() ? ascending : GeneratorRuntime.fillFromTail(ascending);
                    runtime.retain(batch, order);
                    List<long[]> kept = new ArrayList<>();
                    for (int i : order) {
                        kept.add(windows.get(i));
                    }
                    windows.clear();
                    windows.addAll(kept);
                    leaves++;
                }
                assertThat(batch.rows()).isEqualTo(windows.size());
                for (int i = 0; i < windows.size(); i++) {
                    assertThat(batch.rowLength(i)).isEqualTo(windows.get(i).length);
                }
                if (windows.isEmpty()) {
                    continue;
                }
                long[] tokens = random.longs(windows.size(), 0, vocab).toArray();
                int before = batch.length;
                float[][] logits = runtime.step(batch, tokens);
                if (batch.length <= before) {
                    compactions++;
                }
                for (int i = 0; i < windows.size(); i++) {
                    long[] w = Arrays.copyOf(windows.get(i), windows.get(i).length + 1);
                    w[w.length - 1] = tokens[i];
                    windows.set(i, w);
                    assertClose(logits[i], runtime.logits(w));
                }
            }
        }
        assertThat(joins).as("joins").isGreaterThan(50);
        assertThat(leaves).as("leaves").isGreaterThan(50);
        assertThat(compactions).as("column compactions").isGreaterThan(5);
    }

    @Test
    void holesAreFilledFromTheTail() {
        assertThat(GeneratorRuntime.fillFromTail(new int[] {0, 1, 3, 4, 5})).containsExactly(0, 1, 5, 3, 4);
        assertThat(GeneratorRuntime.fillFromTail(new int[] {2, 5, 6})).containsExactly(5, 6, 2);
        assertThat(GeneratorRuntime.fillFromTail(new int[] {0, 1, 2})).containsExactly(0, 1, 2);
        assertThat(GeneratorRuntime.fillFromTail(new int[] {})).isEmpty();
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSize(expected.length);
        double worst = 0;
        for (int j = 0; j < actual.length; j++) {
            worst = Math.max(worst, Math.abs(actual[j] - expected[j]));
        }
        assertThat(worst).as("largest absolute difference from a full forward pass").isLessThanOrEqualTo(TOLERANCE);
    }
}
