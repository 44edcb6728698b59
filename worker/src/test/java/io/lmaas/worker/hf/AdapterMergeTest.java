package io.lmaas.worker.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.hf.lora.AdapterMerge;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.testing.Logits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter folded into a copy of its base ({@link AdapterMerge}) is an ordinary checkpoint whose logits equal those of
 * PEFT's merge computed by {@code src/test/python/make_decoder_fixtures.py} (Debian python3-torch), within 1e-4.
 */
class AdapterMergeTest {

    private static Path fixtures() throws Exception {
        return Path.of(AdapterMergeTest.class.getResource("/decoder-fixtures/llama/config.json").toURI()).getParent().getParent();
    }

    @Test
    void theMergedCheckpointEqualsPeftsMerge(@TempDir Path tmp) throws Exception {
        Path fixtures = fixtures();
        Path out = tmp.resolve("merged");
        AdapterMerge.merge(fixtures.resolve("llama"), fixtures.resolve("llama-adapter-b"), out);
        assertThat(out.resolve("config.json")).exists();
        assertThat(out.resolve("tokenizer.json")).exists();
        assertThat(out.resolve("adapter_config.json")).doesNotExist();
        JsonObject expected = new JsonObject(Files.readString(fixtures.resolve("llama-adapters-expected.json")));
        JsonArray logits = expected.getJsonObject("logits").getJsonArray("adapter-b");
        try (GeneratorRuntime merged = (GeneratorRuntime) ModelRuntime.load(out)) {
            assertThat(merged.describe().getString("dtype")).isEqualTo("float32");
            for (int s = 0; s < 2; s++) {
                long[] seq = expected.getJsonArray("sequences").getJsonArray(s).stream()
                        .mapToLong(x -> ((Number) x).longValue()).toArray();
                try (KvCache cache = merged.newCache()) {
                    float[] got = merged.prefill(cache, seq);
                    float[] want = Logits.row(logits, s, seq.length - 1);
                    for (int i = 0; i < want.length; i++) {
                        assertThat(got[i]).as("sequence %d logit %d", s, i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void anAdapterThatDoesNotFitIsRefusedAndNothingIsLeft(@TempDir Path tmp) throws Exception {
        Path fixtures = fixtures();
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        for (String f : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
            Files.copy(fixtures.resolve("llama-adapter-a").resolve(f), bad.resolve(f));
        }
        JsonObject config = new JsonObject(Files.readString(bad.resolve("adapter_config.json")));
        Files.writeString(bad.resolve("adapter_config.json"), config.put("r", config.getInteger("r") * 2).encode());
        assertThatThrownBy(() -> AdapterMerge.merge(fixtures.resolve("llama"), bad, tmp.resolve("out")))
                .isInstanceOf(ModelDirectoryException.class).hasMessageContaining("rank");
        assertThat(tmp.resolve("out")).doesNotExist();
        assertThatThrownBy(() -> AdapterMerge.merge(fixtures.resolve("gpt2"), fixtures.resolve("llama-adapter-a"), tmp.resolve("g")))
                .isInstanceOf(ModelDirectoryException.class);
    }
}
