package io.lmaas.worker.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.lora.EncoderLoraAdapter;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.EncoderRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.testing.HfModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA classifier adapters on BERT-family encoders, against a reference: PEFT-layout adapters (factors on the layers'
 * projections, a new two-label head saved whole) and the logits of the merged models (W + alpha/r · B A, the head
 * replaced), made by {@code src/test/python/make_encoder_adapter_fixtures.py} with Debian's python3-torch from the
 * Hugging Face modeling code. The worker computes base + per-row low-rank deltas, never the merged weights.
 */
class EncoderAdaptersTest {
    private static Path fixture(String name) throws Exception {
        return Path.of(EncoderAdaptersTest.class.getResource("/encoder-fixtures/" + name + "/config.json").toURI()).getParent();
    }

    private static JsonObject expected() throws Exception {
        Path root = fixture("bert").getParent();
        return new JsonObject(Files.readString(root.resolve("adapters-expected.json")));
    }

    private record Inputs(List<Encoded> encoded, long[][] types) {
    }

    private static Inputs inputs(String family, int slot) throws Exception {
        JsonArray rows = new JsonObject(Files.readString(fixture(family).resolve("expected.json"))).getJsonArray("inputs");
        List<Encoded> encoded = new ArrayList<>();
        long[][] types = new long[rows.size()][];
        for (int b = 0; b < rows.size(); b++) {
            long[] ids = rows.getJsonObject(b).getJsonArray("ids").stream().mapToLong(o -> ((Number) o).longValue()).toArray();
            types[b] = rows.getJsonObject(b).getJsonArray("types").stream().mapToLong(o -> ((Number) o).longValue()).toArray();
            encoded.add(new Encoded(ids, ids.length, slot));
        }
        return new Inputs(encoded, types);
    }

    private static void assertLogits(float[][] actual, JsonArray want, String what) {
        assertThat(actual.length).isEqualTo(want.size());
        for (int b = 0; b < want.size(); b++) {
            JsonArray row = want.getJsonArray(b);
            assertThat(actual[b]).hasSize(row.size());
            for (int c = 0; c < row.size(); c++) {
                assertThat(actual[b][c]).as("%s input %d logit %d", what, b, c).isCloseTo(row.getFloat(c), Offset.offset(1e-4f));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "roberta", "distilbert"})
    void anAdapterOnItsBaseEqualsTheMergedReference(String family, @TempDir Path tmp) throws Exception {
        JsonObject want = expected().getJsonObject(family);
        try (EncoderRuntime runtime = (EncoderRuntime) ModelRuntime.load(HfModels.encoder(family, tmp.resolve(family)))) {
            runtime.adapters().load(1, fixture(family + "-adapter"));
            Inputs in = inputs(family, 1);
            assertLogits(runtime.adapters().logits(in.encoded(), in.types()), want.getJsonArray("logits"), family);
            assertThat(runtime.adapters().labels(1)).containsExactly("negative", "positive");
        }
    }

    /** Merged into a copy of its base (a very hot adapter deployed as a model), it equals PEFT's merge: the reference. */
    @ParameterizedTest
    @ValueSource(strings = {"bert", "distilbert"})
    void aMergedAdapterIsAClassifierOfItsOwnEqualToTheReference(String family, @TempDir Path tmp) throws Exception {
        Path merged = tmp.resolve("merged");
        io.lmaas.worker.hf.lora.AdapterMerge.merge(HfModels.encoder(family, tmp.resolve(family)), fixture(family + "-adapter"), merged);
        JsonObject config = new JsonObject(Files.readString(merged.resolve("config.json")));
        assertThat(config.getJsonObject("id2label").getMap().values()).containsExactly("negative", "positive");
        try (EncoderRuntime runtime = (EncoderRuntime) ModelRuntime.load(merged)) {
            Inputs in = inputs(family, 0);
            assertLogits(runtime.adapters().logits(in.encoded(), in.types()), expected().getJsonObject(family).getJsonArray("logits"),
                    family + " merged");
        }
    }

    /** Rows of the base and of two adapters in one pass: each row equals its own adapter's reference (or the bare base's). */
    @Test
    void aMixedBatchEqualsEachRowServedAlone(@TempDir Path tmp) throws Exception {
        JsonObject want = expected().getJsonObject("bert");
        JsonArray baseLogits = new JsonObject(Files.readString(fixture("bert").resolve("expected.json"))).getJsonArray("logits");
        try (EncoderRuntime runtime = (EncoderRuntime) ModelRuntime.load(HfModels.encoder("bert", tmp.resolve("bert")))) {
            runtime.adapters().load(1, fixture("bert-adapter"));
            runtime.adapters().load(2, fixture("bert-adapter")); // the same adapter twice: rows of slot 1 and 2 agree
            Inputs in = inputs("bert", 0);
            List<Encoded> mixed = new ArrayList<>();
            for (int b = 0; b < in.encoded().size(); b++) {
                mixed.add(in.encoded().get(b).withAdapter(b % 3));
            }
            float[][] logits = runtime.adapters().logits(mixed, in.types());
            for (int b = 0; b < logits.length; b++) {
                JsonArray expectedRow = (b % 3 == 0 ? baseLogits : want.getJsonArray("logits")).getJsonArray(b);
                assertLogits(new float[][] {logits[b]}, new JsonArray().add(expectedRow), "row " + b + " slot " + b % 3);
            }
            // Through the served classifier: labels are each row's own.
            List<Classification> answers = runtime.classifier().run(mixed.subList(0, 3));
            assertThat(answers.get(0).scores()).containsOnlyKeys("label_0", "label_1", "label_2");
            assertThat(answers.get(1).scores()).containsOnlyKeys("negative", "positive");
            runtime.adapters().remove(2);
            assertThatThrownBy(() -> runtime.adapters().logits(mixed.subList(2, 3), null)).hasMessageContaining("slot 2 is empty");
        }
    }

    /** A bare encoder (an embedding model) classifies with an adapter that carries the whole head, and only with one. */
    @Test
    void aBareEncoderClassifiesWithAnAdapterThatCarriesItsHead(@TempDir Path tmp) throws Exception {
        Path bare = HfModels.encoder("roberta", tmp.resolve("roberta-bare"));
        JsonObject config = new JsonObject(Files.readString(fixture("roberta").resolve("config.json")));
        config.put("architectures", new JsonArray().add("RobertaModel")).remove("id2label");
        Files.writeString(bare.resolve("config.json"), config.encode());
        try (EncoderRuntime runtime = (EncoderRuntime) ModelRuntime.load(bare)) {
            assertThat(runtime.task()).isEqualTo(ModelRuntime.FEATURE_EXTRACTION);
            runtime.adapters().load(1, fixture("roberta-adapter"));
            Inputs in = inputs("roberta", 1);
            assertLogits(runtime.adapters().logits(in.encoded(), in.types()), expected().getJsonObject("roberta").getJsonArray("logits"),
                    "bare roberta");
            assertThatThrownBy(() -> runtime.adapters().logits(inputs("roberta", 0).encoded(), null))
                    .hasMessageContaining("no classification head");
            // BERT's adapter saves only the scores: on a bare BERT (no pooler of its own to fall back on) it is refused.
            EncoderConfig bareBert = EncoderConfig.parse(new JsonObject(Files.readString(fixture("bert").resolve("config.json")))
                    .put("architectures", new JsonArray().add("BertModel")));
            assertThatThrownBy(() -> EncoderLoraAdapter.load(fixture("bert-adapter"), bareBert))
                    .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("bert.pooler.dense");
        }
    }

    @Test
    void adaptersThatDoNotFitTheBaseAreRefusedByName(@TempDir Path tmp) throws Exception {
        EncoderConfig bert = EncoderConfig.parse(new JsonObject(Files.readString(fixture("bert").resolve("config.json"))));
        EncoderConfig distil = EncoderConfig.parse(new JsonObject(Files.readString(fixture("distilbert").resolve("config.json"))));
        assertThatThrownBy(() -> EncoderLoraAdapter.load(fixture("distilbert-adapter"), bert))
                .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("target module 'q_lin'");
        assertThatThrownBy(() -> EncoderLoraAdapter.load(fixture("bert-adapter"), distil))
                .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("target module 'query'");
        Path decoderAdapter = Path.of(getClass().getResource("/decoder-fixtures/llama-adapter-a/adapter_config.json").toURI()).getParent();
        assertThatThrownBy(() -> EncoderLoraAdapter.load(decoderAdapter, bert))
                .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("q_proj");
        // A rank the factors do not have.
        Path wrongRank = copy(fixture("bert-adapter"), tmp.resolve("wrong-rank"));
        JsonObject cfg = new JsonObject(Files.readString(wrongRank.resolve("adapter_config.json"))).put("r", 8);
        Files.writeString(wrongRank.resolve("adapter_config.json"), cfg.encode());
        assertThatThrownBy(() -> EncoderLoraAdapter.load(wrongRank, bert))
                .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("rank 8 on this base needs");
        // A base with fewer layers than the adapter adapts.
        EncoderConfig oneLayer = EncoderConfig.parse(new JsonObject(Files.readString(fixture("bert").resolve("config.json")))
                .put("num_hidden_layers", 1));
        assertThatThrownBy(() -> EncoderLoraAdapter.load(fixture("bert-adapter"), oneLayer))
                .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("is for layer 1 but the base has 1");
    }

    private static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
