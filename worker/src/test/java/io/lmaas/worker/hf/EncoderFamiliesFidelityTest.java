package io.lmaas.worker.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One implementation per family, checked against a reference written from Hugging Face's modeling code: tiny
 * random-weight sequence classifiers in exact Hugging Face naming, and their logits and hidden states, made by
 * {@code src/test/python/make_encoder_fixtures.py} with Debian's python3-torch. Inputs of mixed lengths in one batch
 * (RoBERTa's positions count from the padding id; BERT's token types differ within an input).
 */
class EncoderFamiliesFidelityTest {
    @ParameterizedTest
    @ValueSource(strings = {"bert", "roberta", "xlm-roberta", "distilbert"})
    void logitsAndHiddenStatesEqualTheReference(String family) throws Exception {
        Path dir = Path.of(getClass().getResource("/encoder-fixtures/" + family + "/config.json").toURI()).getParent();
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(dir.resolve("config.json"))));
        assertThat(config.classifier()).isTrue();
        JsonObject expected = new JsonObject(Files.readString(dir.resolve("expected.json")));
        JsonArray inputs = expected.getJsonArray("inputs");
        long[][] ids = new long[inputs.size()][];
        long[][] types = new long[inputs.size()][];
        for (int b = 0; b < inputs.size(); b++) {
            ids[b] = inputs.getJsonObject(b).getJsonArray("ids").stream().mapToLong(o -> ((Number) o).longValue()).toArray();
            types[b] = inputs.getJsonObject(b).getJsonArray("types").stream().mapToLong(o -> ((Number) o).longValue()).toArray();
        }
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, HfWeights.load(dir, manager), manager);
            check(family, config, expected, ids, types, encoder, manager);
            // What the worker serves: each layer as one fused call (oneDNN linear layers, fused attention).
            encoder.fuseForInference();
            assertThat(encoder.fusedKernel()).as("the fused layer kernel loads").isTrue();
            check(family + " (fused)", config, expected, ids, types, encoder, manager);
            // Each input alone: nothing padded, so the kernel runs without a mask.
            for (int b = 0; b < ids.length; b++) {
                check(family + " (fused, input " + b + " alone)", config, expected, ids, types, encoder, manager, b);
            }
        }
    }

    private static void check(String family, EncoderConfig config, JsonObject expected, long[][] allIds, long[][] allTypes,
            BertFamilyEncoder encoder, NDManager manager) {
        check(family, config, expected, allIds, allTypes, encoder, manager, java.util.stream.IntStream.range(0, allIds.length).toArray());
    }

    /** The inputs {@code which} of the fixture as one batch, against the reference's values for them. */
    private static void check(String family, EncoderConfig config, JsonObject expected, long[][] allIds, long[][] allTypes,
            BertFamilyEncoder encoder, NDManager manager, int... which) {
        long[][] ids = java.util.Arrays.stream(which).mapToObj(b -> allIds[b]).toArray(long[][]::new);
        long[][] types = java.util.Arrays.stream(which).mapToObj(b -> allTypes[b]).toArray(long[][]::new);
        try (NDManager request = manager.newSubManager()) {
            NDArray hidden = encoder.hiddenStates(request, ids, types);
            float[] states = hidden.toFloatArray();
            float[] logits = encoder.logits(hidden).toFloatArray();
            int longest = (int) hidden.getShape().get(1);
            int h = config.hidden();
            for (int b = 0; b < ids.length; b++) {
                JsonArray rows = expected.getJsonArray("hidden").getJsonArray(which[b]);
                for (int t = 0; t < ids[b].length; t++) {
                    for (int d = 0; d < h; d++) {
                        assertThat(states[(b * longest + t) * h + d]).as("%s input %d token %d dim %d", family, b, t, d)
                                .isCloseTo(rows.getJsonArray(t).getFloat(d), org.assertj.core.data.Offset.offset(1e-4f));
                    }
                }
                JsonArray want = expected.getJsonArray("logits").getJsonArray(which[b]);
                for (int c = 0; c < want.size(); c++) {
                    assertThat(logits[b * want.size() + c]).as("%s input %d logit %d", family, b, c)
                            .isCloseTo(want.getFloat(c), org.assertj.core.data.Offset.offset(1e-4f));
                }
            }
        }
    }

    /** Inference leaves nothing behind in the model's manager: every intermediate belongs to the request's. */
    @org.junit.jupiter.api.Test
    void inferenceKeepsNothingInTheModelsManager() throws Exception {
        Path dir = Path.of(getClass().getResource("/encoder-fixtures/bert/config.json").toURI()).getParent();
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(dir.resolve("config.json"))));
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, HfWeights.load(dir, manager), manager);
            encoder.fuseForInference();
            int held = manager.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                try (NDManager request = manager.newSubManager()) {
                    encoder.logits(encoder.hiddenStates(request, new long[][] {{2, 7, 9, 3}, {2, 5, 3}}, null)).toFloatArray();
                }
            }
            assertThat(manager.getManagedArrays().size()).isEqualTo(held);
        }
    }
}
