package io.lmaas.worker.hf;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.testing.Logits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GPT-2 (Conv1D weights, learned positions, gelu_new), Llama (llama3 rope scaling, grouped-query attention), Qwen2
 * (q/k/v biases, tied embeddings) and Mistral (an explicit
 * head_dim) against a reference written from Hugging Face's modeling code: tiny random-weight checkpoints in exact
 * Hugging Face naming and the logits at every position of their token sequences, made by
 * {@code src/test/python/make_decoder_fixtures.py} with Debian's python3-torch. Checked at prefill and at every decode
 * step with the cache, rows of different lengths joining and leaving one continuous batch.
 */
class DecoderFamiliesFidelityTest {
    private static final float TOLERANCE = 1e-4f;

    /** When each sequence joins (decode step) and how much of it is its prompt; the rest is fed one token per step. */
    private static final int[][] SCHEDULE = {{0, 3}, {1, 1}, {2, 5}, {4, 1}};

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "mistral"})
    void prefillAndEveryDecodeStepEqualTheReference(String family) throws Exception {
        Path dir = Path.of(getClass().getResource("/decoder-fixtures/" + family + "/config.json").toURI()).getParent();
        JsonObject expected = new JsonObject(Files.readString(dir.resolve("expected.json")));
        List<long[]> sequences = new ArrayList<>();
        for (Object o : expected.getJsonArray("sequences")) {
            sequences.add(((JsonArray) o).stream().mapToLong(x -> ((Number) x).longValue()).toArray());
        }
        JsonArray logits = expected.getJsonArray("logits");
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir)) {
            assertThat(runtime.describe().getInteger("kv_heads")).isEqualTo(family.equals("gpt2") ? 4 : 2);
            assertThat(runtime.maxLength()).as("the tokenizer's model_max_length caps the context").isEqualTo(48);
            assertThat(runtime.isEos(2)).isTrue();
            assertThat(runtime.isEos(3)).as("generation_config.json lists two end tokens").isTrue();
            assertThat(runtime.startToken()).isEqualTo(1);
            assertThat(runtime.defaults().temperature()).isEqualTo(0.6);

            // Prefill of each whole sequence: the last position's logits.
            for (int s = 0; s < sequences.size(); s++) {
                long[] seq = sequences.get(s);
                try (KvCache cache = runtime.newCache()) {
                    assertClose(runtime.prefill(cache, seq), Logits.row(logits, s, seq.length - 1), family + " prefill " + s);
                }
            }

            // One continuous batch: sequences join at different steps with prompts of different lengths, and leave when done.
            try (DecodeBatch batch = runtime.newBatch()) {
                List<Integer> rows = new ArrayList<>(); // sequence index per batch row
                int[] fed = new int[sequences.size()];
                int checked = 0;
                for (int step = 0; step < 40 && (step <= SCHEDULE[SCHEDULE.length - 1][0] || !rows.isEmpty()); step++) {
                    for (int s = 0; s < SCHEDULE.length; s++) {
                        if (SCHEDULE[s][0] == step) {
                            long[] prompt = Arrays.copyOf(sequences.get(s), SCHEDULE[s][1]);
                            KvCache cache = runtime.newCache();
                            assertClose(runtime.prefill(cache, prompt), Logits.row(logits, s, prompt.length - 1), family + " join " + s);
                            runtime.join(batch, cache);
                            rows.add(s);
                            fed[s] = prompt.length;
                        }
                    }
                    List<Integer> keep = new ArrayList<>();
                    for (int i = 0; i < rows.size(); i++) {
                        if (fed[rows.get(i)] < sequences.get(rows.get(i)).length) {
                            keep.add(i);
                        }
                    }
                    if (keep.size() != rows.size()) {
                        int[] order = GeneratorRuntime.fillFromTail(keep.stream().mapToInt(Integer::intValue).toArray());
                        runtime.retain(batch, order);
                        List<Integer> kept = new ArrayList<>();
                        for (int i : order) {
                            kept.add(rows.get(i));
                        }
                        rows = kept;
                    }
                    if (rows.isEmpty()) {
                        continue;
                    }
                    long[] tokens = new long[rows.size()];
                    for (int i = 0; i < rows.size(); i++) {
                        tokens[i] = sequences.get(rows.get(i))[fed[rows.get(i)]];
                    }
                    float[][] out = runtime.step(batch, tokens);
                    for (int i = 0; i < rows.size(); i++) {
                        int s = rows.get(i);
                        assertClose(out[i], Logits.row(logits, s, fed[s]), family + " sequence " + s + " position " + fed[s]);
                        fed[s]++;
                        checked++;
                    }
                }
                int expectedSteps = sequences.stream().mapToInt(q -> q.length).sum()
                        - Arrays.stream(SCHEDULE).mapToInt(x -> x[1]).sum();
                assertThat(checked).as("every decode step checked").isEqualTo(expectedSteps);
            }
            ChatTemplate chat = runtime.chatTemplate().orElseThrow();
            assertThat(chat.render(List.of(new ChatTemplate.Message("user", "w5 w6")))).isEqualTo("<s>user w5 w6 <|end|> assistant ");
        }
    }

    /** The same checkpoint split into two shards with an index (as large models come) loads to the same logits. */
    @org.junit.jupiter.api.Test
    void aShardedCheckpointLoadsToTheSameLogits(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path source = Path.of(getClass().getResource("/decoder-fixtures/qwen2/config.json").toURI()).getParent();
        Path dir = Files.createDirectories(tmp.resolve("qwen2-sharded"));
        try (var files = Files.list(source)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("model.safetensors")) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
        }
        java.util.Map<String, SafetensorsReader.Tensor> all = SafetensorsReader.read(source.resolve("model.safetensors"));
        java.util.List<java.util.Map<String, SafetensorsWriter.Tensor>> shards = List.of(new java.util.LinkedHashMap<>(),
                new java.util.LinkedHashMap<>());
        JsonObject weightMap = new JsonObject();
        int i = 0;
        for (var e : all.entrySet()) {
            int shard = i++ % 2;
            shards.get(shard).put(e.getKey(), new SafetensorsWriter.Tensor(e.getValue().shape(), e.getValue().values()));
            weightMap.put(e.getKey(), "model-0000" + (shard + 1) + "-of-00002.safetensors");
        }
        for (int s = 0; s < 2; s++) {
            SafetensorsWriter.write(dir.resolve("model-0000" + (s + 1) + "-of-00002.safetensors"), shards.get(s), java.util.Map.of());
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), new JsonObject().put("metadata", new JsonObject())
                .put("weight_map", weightMap).encode());
        JsonObject expected = new JsonObject(Files.readString(dir.resolve("expected.json")));
        long[] seq = expected.getJsonArray("sequences").getJsonArray(0).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir); KvCache cache = runtime.newCache()) {
            assertClose(runtime.prefill(cache, seq), Logits.row(expected.getJsonArray("logits"), 0, seq.length - 1), "sharded qwen2");
        }
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        Logits.assertClose(actual, expected, TOLERANCE, what);
    }
}
