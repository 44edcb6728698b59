package io.lmaas.worker.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.hf.lora.AdapterBank;
import io.lmaas.worker.hf.lora.LoraAdapter;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.testing.Logits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEFT LoRA adapters on the tiny Llama, made by {@code src/test/python/make_decoder_fixtures.py} (Debian python3-torch)
 * with the logits of the merged model (W + scaling · B A, as PEFT's merge computes): served on the shared base, the
 * output equals the merged model within 1e-4 at prefill and every decode step, and one batch mixing two adapters and
 * the bare base gives every row what it gets alone. Adapters that do not fit the base are refused, naming why.
 */
class LoraAdaptersTest {
    private static final float TOLERANCE = 1e-4f;

    private static Path fixture(String name) throws Exception {
        return Path.of(LoraAdaptersTest.class.getResource("/decoder-fixtures/" + name + "/config.json") == null
                ? LoraAdaptersTest.class.getResource("/decoder-fixtures/" + name + "/adapter_config.json").toURI()
                : LoraAdaptersTest.class.getResource("/decoder-fixtures/" + name + "/config.json").toURI()).getParent();
    }

    private static long[] sequence(JsonObject expected, int i) {
        return expected.getJsonArray("sequences").getJsonArray(i).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    @Test
    void adaptersOnTheSharedBaseEqualTheMergedModelsAloneAndMixedInOneBatch() throws Exception {
        Path base = fixture("llama");
        JsonObject merged = new JsonObject(Files.readString(base.getParent().resolve("llama-adapters-expected.json")));
        JsonObject plain = new JsonObject(Files.readString(base.resolve("expected.json")));
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(base)) {
            AdapterBank bank = runtime.adapters();
            int a = bank.freeSlot();
            bank.put(a, LoraAdapter.load(fixture("llama-adapter-a"), bank.base()));
            int b = bank.freeSlot();
            bank.put(b, LoraAdapter.load(fixture("llama-adapter-b"), bank.base()));
            assertThat(new int[] {a, b}).containsExactly(1, 2);
            JsonArray logitsA = merged.getJsonObject("logits").getJsonArray("adapter-a");
            JsonArray logitsB = merged.getJsonObject("logits").getJsonArray("adapter-b");

            // Alone: each adapter, prefill of the whole sequence.
            for (int s = 0; s < 2; s++) {
                long[] seq = sequence(merged, s);
                try (KvCache cache = runtime.newCache()) {
                    assertClose(runtime.prefill(cache, seq, a), Logits.row(logitsA, s, seq.length - 1), "adapter-a prefill " + s);
                }
                try (KvCache cache = runtime.newCache()) {
                    assertClose(runtime.prefill(cache, seq, b), Logits.row(logitsB, s, seq.length - 1), "adapter-b prefill " + s);
                }
            }

            // Mixed: sequence 0 with a, with b and bare, and sequence 1 with a, decoded together token by token.
            long[] s0 = sequence(merged, 0);
            long[] s1 = sequence(merged, 1);
            int[] seqOf = {0, 0, 0, 1};
            int[] slotOf = {a, b, 0, a};
            JsonArray[] want = {logitsA, logitsB, plain.getJsonArray("logits"), logitsA};
            int[] fed = {2, 2, 2, 1};
            try (DecodeBatch batch = runtime.newBatch()) {
                for (int r = 0; r < 4; r++) {
                    long[] seq = seqOf[r] == 0 ? s0 : s1;
                    KvCache cache = runtime.newCache();
                    assertClose(runtime.prefill(cache, Arrays.copyOf(seq, fed[r]), slotOf[r]), Logits.row(want[r], seqOf[r], fed[r] - 1),
                            "row " + r + " prefill");
                    runtime.join(batch, cache);
                }
                // Row 3's sequence (3 tokens) ends after two steps; the others go on alone afterwards.
                for (int step = 0; step < s0.length - 2; step++) {
                    int rows = batch.rows();
                    long[] tokens = new long[rows];
                    for (int r = 0; r < rows; r++) {
                        tokens[r] = (seqOf[r] == 0 ? s0 : s1)[fed[r]];
                    }
                    float[][] out = runtime.step(batch, tokens);
                    for (int r = 0; r < rows; r++) {
                        assertClose(out[r], Logits.row(want[r], seqOf[r], fed[r]), "row " + r + " position " + fed[r]);
                        fed[r]++;
                    }
                    if (rows == 4 && fed[3] == s1.length) {
                        runtime.retain(batch, new int[] {0, 1, 2});
                    }
                }
            }

            // A slot emptied is the bare model again.
            bank.remove(a);
            try (KvCache cache = runtime.newCache()) {
                assertClose(runtime.prefill(cache, s0, a), Logits.row(plain.getJsonArray("logits"), 0, s0.length - 1), "removed adapter");
            }
        }
    }

    @Test
    void adaptersThatDoNotFitTheBaseAreRefusedNamingWhy(@TempDir Path tmp) throws Exception {
        Path base = fixture("llama");
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(base)) {
            var config = runtime.adapters().base();
            Path source = fixture("llama-adapter-a");
            assertThatThrownBy(() -> LoraAdapter.load(copyWith(source, tmp.resolve("rank"), c -> c.put("r", 3)), config))
                    .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("rank 3 on this base needs");
            assertThatThrownBy(() -> LoraAdapter.load(copyWith(source, tmp.resolve("module"), c -> c.put("target_modules",
                    new JsonArray().add("q_proj").add("qkv_proj"))), config)).isInstanceOf(ModelDirectoryException.class)
                    .hasMessageContaining("target module 'qkv_proj'");
            assertThatThrownBy(() -> LoraAdapter.load(copyWith(source, tmp.resolve("listed"), c -> c.put("target_modules",
                    new JsonArray().add("q_proj"))), config)).isInstanceOf(ModelDirectoryException.class)
                    .hasMessageContaining("which target_modules does not list");
            assertThatThrownBy(() -> LoraAdapter.load(copyWith(source, tmp.resolve("dora"), c -> c.put("use_dora", true)), config))
                    .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("use_dora");
            assertThatThrownBy(() -> LoraAdapter.load(tmp, config)).isInstanceOf(ModelDirectoryException.class)
                    .hasMessageContaining("adapter_config.json: missing");
        }
    }

    private static Path copyWith(Path source, Path dir, java.util.function.Consumer<JsonObject> edit) throws Exception {
        Files.createDirectories(dir);
        Files.copy(source.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
        JsonObject config = new JsonObject(Files.readString(source.resolve("adapter_config.json")));
        edit.accept(config);
        Files.writeString(dir.resolve("adapter_config.json"), config.encode());
        return dir;
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        Logits.assertClose(actual, expected, TOLERANCE, what);
    }
}
