package io.lmaas.worker.fidelity;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The worker's logits equal PyTorch's for the same weights: the built-in architectures loaded from
 * safetensors, and the same networks exported by PyTorch as TorchScript, against reference logits
 * computed by {@code src/test/python/reference.py} (PyTorch eager) and committed with the fixtures.
 */
class FidelityTest {
    private static final double TOLERANCE = 1e-4;
    private static Path fixtures;
    private static JsonObject reference;

    @BeforeAll
    static void load() throws Exception {
        fixtures = fixtures();
        reference = new JsonObject(Files.readString(fixtures.resolve("reference.json")));
    }

    static Path fixtures() throws URISyntaxException {
        return Path.of(FidelityTest.class.getResource("/fixtures/reference.json").toURI()).getParent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-classifier", "torchscript-classifier"})
    void classifierLogitsMatchPyTorch(String version) {
        JsonObject ref = reference.getJsonObject("classifier");
        try (ClassifierRuntime runtime = (ClassifierRuntime) ModelRuntime.load(fixtures.resolve(version))) {
            float[][] logits = runtime.logits(ids(ref.getJsonArray("inputs")));
            assertClose(logits, rows(ref.getJsonArray("logits")));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-generator", "torchscript-generator"})
    void generatorLogitsMatchPyTorchWithAndWithoutTheCache(String version) {
        JsonObject ref = reference.getJsonObject("generator");
        long[][] inputs = ids(ref.getJsonArray("inputs"));
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(fixtures.resolve(version))) {
            for (int i = 0; i < inputs.length; i++) {
                float[][] expected = rows(ref.getJsonArray("logits").getJsonArray(i));
                long[] window = inputs[i];
                // Full forward pass: the last position.
                assertClose(new float[][] {runtime.logits(window)}, new float[][] {expected[window.length - 1]});
                // Prefill the first token, then one step per token: every position, through the cache.
                try (DecodeBatch batch = runtime.newBatch()) {
                    KvCache cache = runtime.newCache();
                    assertClose(new float[][] {runtime.prefill(cache, new long[] {window[0]})}, new float[][] {expected[0]});
                    runtime.join(batch, cache);
                    for (int t = 1; t < window.length; t++) {
                        float[][] step = runtime.step(batch, new long[] {window[t]});
                        assertClose(step, new float[][] {expected[t]});
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-generator", "torchscript-generator"})
    void rowsOfDifferentLengthsInOneBatchEachMatchPyTorch(String version) {
        JsonObject ref = reference.getJsonObject("generator");
        long[][] inputs = ids(ref.getJsonArray("inputs"));
        long[] a = inputs[2];
        long[] b = inputs[1];
        float[][] expectA = rows(ref.getJsonArray("logits").getJsonArray(2));
        float[][] expectB = rows(ref.getJsonArray("logits").getJsonArray(1));
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(fixtures.resolve(version));
                DecodeBatch batch = runtime.newBatch()) {
            // Row 0 is 10 positions ahead of row 1: row 1 is left-padded and masked.
            KvCache first = runtime.newCache();
            runtime.prefill(first, java.util.Arrays.copyOf(a, 10));
            runtime.join(batch, first);
            KvCache second = runtime.newCache();
            assertClose(new float[][] {runtime.prefill(second, new long[] {b[0]})}, new float[][] {expectB[0]});
            runtime.join(batch, second);
            for (int t = 1; t < b.length; t++) {
                float[][] step = runtime.step(batch, new long[] {a[9 + t], b[t]});
                assertClose(new float[][] {step[0]}, new float[][] {expectA[9 + t]});
                assertClose(new float[][] {step[1]}, new float[][] {expectB[t]});
            }
            // Row 0 leaves; row 1 goes on alone, its padding dropped.
            runtime.retain(batch, new int[] {1});
            assertThat(batch.rows()).isEqualTo(1);
            assertThat(batch.rowLength(0)).isEqualTo(b.length);
        }
    }

    private static void assertClose(float[][] actual, float[][] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).hasSize(expected[i].length);
            for (int j = 0; j < actual[i].length; j++) {
                worst = Math.max(worst, Math.abs(actual[i][j] - expected[i][j]));
            }
        }
        assertThat(worst).as("largest absolute difference from PyTorch").isLessThanOrEqualTo(TOLERANCE);
    }

    private static long[][] ids(JsonArray rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonArray r = rows.getJsonArray(i);
            out[i] = new long[r.size()];
            for (int j = 0; j < r.size(); j++) {
                out[i][j] = r.getLong(j);
            }
        }
        return out;
    }

    private static float[][] rows(JsonArray rows) {
        List<float[]> out = new ArrayList<>();
        for (Object o : rows) {
            JsonArray r = (JsonArray) o;
            float[] f = new float[r.size()];
            for (int j = 0; j < r.size(); j++) {
                f[j] = r.getDouble(j).floatValue();
            }
            out.add(f);
        }
        return out.toArray(new float[0][]);
    }
}
