package io.lmaas.worker.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDManager;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Integrated gradients against an independent reference: the same definition computed with torch autograd (float64)
 * over the forward passes written from Hugging Face's modeling code ({@code src/test/python/make_explanation_fixtures.py},
 * Debian's python3-torch), on the encoder fidelity fixtures' weights, at 32 and 64 steps. Attributions within 1e-3,
 * the completeness gap below 1e-2 at 64 steps; and the starter classifier against reference.py's forward.
 */
class IntegratedGradientsTest {
    @ParameterizedTest
    @ValueSource(strings = {"bert", "roberta", "xlm-roberta", "distilbert"})
    void attributionsEqualTheReferenceAndAddUpToTheScoreChange(String family) throws Exception {
        Path dir = Path.of(getClass().getResource("/encoder-fixtures/" + family + "/config.json").toURI()).getParent();
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(dir.resolve("config.json"))));
        JsonArray inputs = new JsonObject(Files.readString(dir.resolve("expected.json"))).getJsonArray("inputs");
        JsonArray reference = new JsonObject(Files.readString(dir.resolve("explanations.json"))).getJsonArray("inputs");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, HfWeights.load(dir, manager), manager);
            for (Object o : reference) {
                JsonObject want = (JsonObject) o;
                JsonObject input = inputs.getJsonObject(want.getInteger("row"));
                long[] ids = input.getJsonArray("ids").stream().mapToLong(v -> ((Number) v).longValue()).toArray();
                long[] types = input.getJsonArray("types").stream().mapToLong(v -> ((Number) v).longValue()).toArray();
                for (int steps : new int[] {32, 64}) {
                    IntegratedGradients.Explanation e = IntegratedGradients.explain(encoder, manager, ids, types, steps);
                    String what = family + " input " + want.getInteger("row") + " at " + steps + " steps";
                    assertThat(e.label()).as(what).isEqualTo(want.getInteger("label"));
                    assertThat(e.score()).as(what).isCloseTo(want.getFloat("score"), offset(1e-4f));
                    JsonObject ref = want.getJsonObject("steps").getJsonObject(Integer.toString(steps));
                    JsonArray attributions = ref.getJsonArray("attributions");
                    assertThat(e.attributions()).as(what).hasSize(ids.length);
                    for (int t = 0; t < ids.length; t++) {
                        assertThat(e.attributions()[t]).as("%s token %d", what, t).isCloseTo(attributions.getFloat(t), offset(1e-3f));
                    }
                    assertThat(e.gap()).as(what).isCloseTo(ref.getFloat("gap"), offset(1e-3f));
                    if (steps == 64) {
                        assertThat(Math.abs(e.gap())).as("completeness gap, " + what).isLessThan(1e-2f);
                    }
                }
            }
        }
    }

    /** The starter classifier (LMaaS's own architecture) against reference.py's forward, differentiated by torch. */
    @org.junit.jupiter.api.Test
    void theStarterArchitectureToo() throws Exception {
        Path dir = Path.of(getClass().getResource("/fixtures/tiny-classifier/serving.properties").toURI()).getParent();
        JsonArray reference = new JsonObject(Files.readString(dir.resolve("explanations.json"))).getJsonArray("inputs");
        try (io.lmaas.worker.runtime.ModelRuntime runtime = io.lmaas.worker.runtime.ModelRuntime.load(dir)) {
            io.lmaas.worker.runtime.ClassifierRuntime classifier = (io.lmaas.worker.runtime.ClassifierRuntime) runtime;
            for (Object o : reference) {
                JsonObject want = (JsonObject) o;
                long[] ids = want.getJsonArray("ids").stream().mapToLong(v -> ((Number) v).longValue()).toArray();
                for (int steps : new int[] {32, 64}) {
                    IntegratedGradients.Explanation e = classifier.explain(ids, steps);
                    String what = "starter input " + want.getInteger("row") + " at " + steps + " steps";
                    assertThat(e.label()).as(what).isEqualTo(want.getInteger("label"));
                    assertThat(e.score()).as(what).isCloseTo(want.getFloat("score"), offset(1e-4f));
                    JsonArray attributions = want.getJsonObject("steps").getJsonObject(Integer.toString(steps)).getJsonArray("attributions");
                    for (int t = 0; t < ids.length; t++) {
                        assertThat(e.attributions()[t]).as("%s token %d", what, t).isCloseTo(attributions.getFloat(t), offset(1e-3f));
                    }
                    if (steps == 64) {
                        assertThat(Math.abs(e.gap())).as("completeness gap, " + what).isLessThan(1e-2f);
                    }
                }
            }
        }
    }

    /** A TorchScript classifier's embeddings are inside its graph: it refuses, it does not fail. */
    @org.junit.jupiter.api.Test
    void aTorchScriptClassifierSaysItCannotExplain() throws Exception {
        Path dir = Path.of(getClass().getResource("/fixtures/torchscript-classifier/serving.properties").toURI()).getParent();
        try (io.lmaas.worker.runtime.ModelRuntime runtime = io.lmaas.worker.runtime.ModelRuntime.load(dir)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ((io.lmaas.worker.runtime.ClassifierRuntime) runtime)
                    .explain(new long[] {5, 17, 42}, 8)).isInstanceOf(ExplanationsUnsupported.class);
        }
    }
}
