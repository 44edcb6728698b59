package io.lmaas.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.hf.SafetensorsWriter;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.testing.HfModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hugging Face directory that cannot be served is refused at load, naming the file, the tensor or the architecture. */
class HfDirectoryValidationTest {

    private static String refusal(Path dir) {
        try (ModelRuntime runtime = ModelRuntime.load(dir)) {
            throw new AssertionError("loaded " + runtime.task());
        } catch (ModelDirectoryException e) {
            return e.getMessage();
        }
    }

    private static void editConfig(Path dir, java.util.function.Consumer<JsonObject> edit) throws IOException {
        JsonObject config = new JsonObject(Files.readString(dir.resolve("config.json")));
        edit.accept(config);
        Files.writeString(dir.resolve("config.json"), config.encode());
    }

    @Test
    void theFixtureLoadsAsAClassifier(@TempDir Path tmp) throws Exception {
        try (ModelRuntime runtime = ModelRuntime.load(HfModels.bertClassifier(tmp.resolve("m")))) {
            assertThat(runtime.task()).isEqualTo("text-classification");
            assertThat(runtime.describe().getJsonArray("labels")).containsExactly("label_0", "label_1", "label_2");
        }
    }

    @Test
    void anUnsupportedArchitectureIsNamedWithTheSupportedList(@TempDir Path tmp) throws Exception {
        Path dir = HfModels.bertClassifier(tmp.resolve("m"));
        editConfig(dir, c -> c.put("architectures", new JsonArray().add("T5ForConditionalGeneration")).put("model_type", "t5"));
        assertThat(refusal(dir)).contains("unsupported architecture 'T5ForConditionalGeneration'", "BertForSequenceClassification",
                "XLMRobertaModel");
    }

    @Test
    void aMissingShardIsNamed(@TempDir Path tmp) throws Exception {
        Path dir = HfModels.bertClassifier(tmp.resolve("m"));
        Files.move(dir.resolve("model.safetensors"), dir.resolve("model-00001-of-00002.safetensors"));
        JsonObject map = new JsonObject().put("classifier.weight", "model-00002-of-00002.safetensors");
        Files.writeString(dir.resolve("model.safetensors.index.json"), new JsonObject().put("weight_map", map
                .put("bert.embeddings.word_embeddings.weight", "model-00001-of-00002.safetensors")).encode());
        assertThat(refusal(dir)).contains("model-00002-of-00002.safetensors", "missing");
    }

    @Test
    void aTensorOfTheWrongShapeOrDtypeIsNamed(@TempDir Path tmp) throws Exception {
        Path dir = HfModels.bertClassifier(tmp.resolve("m"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), Map.of("bert.embeddings.word_embeddings.weight",
                new SafetensorsWriter.Tensor(new long[] {120, 31}, new float[120 * 31])), Map.of());
        assertThat(refusal(dir)).contains("bert.embeddings.word_embeddings.weight", "(120, 31)", "(120, 32)");

        writeInt32(dir.resolve("model.safetensors"), "bert.embeddings.word_embeddings.weight", 120 * 32);
        assertThat(refusal(dir)).contains("bert.embeddings.word_embeddings.weight", "int32", "float32, float16 or bfloat16");
    }

    @Test
    void aTokenizerThatDoesNotFitTheVocabularyIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = HfModels.bertClassifier(tmp.resolve("m"));
        Files.writeString(dir.resolve("tokenizer.json"), HfModels.wordLevelTokenizer(500).encode());
        assertThat(refusal(dir)).contains("tokenizer.json", "token id 503", "vocabulary of 120");
        Files.delete(dir.resolve("tokenizer.json"));
        assertThat(refusal(dir)).contains("tokenizer.json: missing");
    }

    @Test
    void labelsAndSettingsAreChecked(@TempDir Path tmp) throws Exception {
        Path dir = HfModels.bertClassifier(tmp.resolve("m"));
        Files.writeString(dir.resolve("serving.properties"), "task=feature-extraction\nbatch.max_size=8\n");
        try (ModelRuntime runtime = ModelRuntime.load(dir)) {
            assertThat(runtime.task()).isEqualTo("feature-extraction");
            assertThat(runtime.batching().maxBatchSize()).isEqualTo(8);
        }
        Files.writeString(dir.resolve("serving.properties"), "eos_token=x\n");
        assertThat(refusal(dir)).contains("'eos_token' is not an LMaaS setting");
        Files.writeString(dir.resolve("serving.properties"), "batch.max_size=0\n");
        assertThat(refusal(dir)).contains("batch.max_size");
        Files.delete(dir.resolve("serving.properties"));
        editConfig(dir, c -> c.remove("id2label"));
        assertThat(refusal(dir)).contains("id2label");
        editConfig(dir, c -> c.put("architectures", new JsonArray().add("BertModel")));
        Files.writeString(dir.resolve("serving.properties"), "task=text-classification\n");
        assertThat(refusal(dir)).contains("task 'text-classification' is not served by this checkpoint");
    }

    @Test
    void aDirectoryWithoutWeightsOrConfigIsNamed(@TempDir Path tmp) throws Exception {
        Path dir = HfModels.bertClassifier(tmp.resolve("m"));
        Files.delete(dir.resolve("model.safetensors"));
        assertThat(refusal(dir)).contains("no weights", "model.safetensors");
        Files.writeString(dir.resolve("config.json"), "{not json");
        assertThatThrownBy(() -> ModelRuntime.load(dir)).isInstanceOf(ModelDirectoryException.class).hasMessageContaining("config.json");
    }

    /** A safetensors file with one int32 tensor of {@code count} values. */
    private static void writeInt32(Path file, String name, int count) throws IOException {
        byte[] header = new JsonObject().put(name, new JsonObject().put("dtype", "I32").put("shape", new JsonArray().add(120).add(32))
                .put("data_offsets", new JsonArray().add(0).add(count * 4))).encode().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + count * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(file, b.array());
    }

    /** float16 and bfloat16 checkpoints load (computed in float32) and answer as the float32 one does, to their precision. */
    @Test
    void halfPrecisionWeightsLoadAndAnswerLikeFloat32(@TempDir Path tmp) throws Exception {
        Path fp32 = HfModels.bertClassifier(tmp.resolve("fp32"));
        List<String> texts = List.of("w1 w2 w3", "w40 w41", "w9 w8 w7 w6 w5");
        List<Classification> reference;
        try (ModelRuntime runtime = ModelRuntime.load(fp32)) {
            EncoderRuntime e = (EncoderRuntime) runtime;
            reference = e.classifier().run(texts.stream().map(t -> e.tokenizer().encode(t, false)).toList());
        }
        for (ai.djl.ndarray.types.DataType type : List.of(ai.djl.ndarray.types.DataType.FLOAT16,
                ai.djl.ndarray.types.DataType.BFLOAT16)) {
            Path dir = HfModels.bertClassifier(tmp.resolve(type.name()));
            writeHalf(fp32, dir.resolve("model.safetensors"), type == ai.djl.ndarray.types.DataType.FLOAT16);
            assertThat(io.lmaas.core.catalog.ModelInfo.of(dir).getString("dtype")).isEqualTo(type == ai.djl.ndarray.types.DataType.FLOAT16
                    ? "float16" : "bfloat16");
            try (ModelRuntime runtime = ModelRuntime.load(dir)) {
                EncoderRuntime e = (EncoderRuntime) runtime;
                assertThat(runtime.describe().getString("dtype")).isEqualTo(type.name().toLowerCase());
                assertThat(runtime.describe().getString("compute_dtype")).isEqualTo("float32");
                List<Classification> answers = e.classifier().run(texts.stream().map(t -> e.tokenizer().encode(t, false)).toList());
                for (int i = 0; i < texts.size(); i++) {
                    for (String label : reference.get(i).scores().keySet()) {
                        assertThat(answers.get(i).scores().get(label)).as("%s %s %s", type, texts.get(i), label)
                                .isCloseTo(reference.get(i).scores().get(label), org.assertj.core.data.Offset.offset(0.02));
                    }
                }
            }
        }
    }

    /** Writes {@code from}'s tensors as float16 or bfloat16 (round to nearest even), as Hugging Face stores them. */
    private static void writeHalf(Path from, Path file, boolean float16) throws IOException {
        java.util.Map<String, float[]> values = new java.util.TreeMap<>();
        java.util.Map<String, long[]> shapes = new java.util.HashMap<>();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
            io.lmaas.worker.hf.HfWeights w = io.lmaas.worker.hf.HfWeights.load(from, m);
            for (String name : w.names()) {
                values.put(name, w.get(name, null).toFloatArray());
                shapes.put(name, w.get(name, null).getShape().getShape());
            }
        }
        JsonObject header = new JsonObject();
        long offset = 0;
        for (var e : values.entrySet()) {
            JsonArray shape = new JsonArray();
            for (long d : shapes.get(e.getKey())) {
                shape.add(d);
            }
            long end = offset + 2L * e.getValue().length;
            header.put(e.getKey(), new JsonObject().put("dtype", float16 ? "F16" : "BF16").put("shape", shape)
                    .put("data_offsets", new JsonArray().add(offset).add(end)));
            offset = end;
        }
        byte[] json = header.encode().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        for (float[] v : values.values()) {
            for (float f : v) {
                b.putShort(float16 ? toFloat16(f) : toBfloat16(f));
            }
        }
        Files.write(file, b.array());
    }

    private static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** IEEE half precision, round to nearest (the weights here are small normal numbers). */
    private static short toFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mantissa = bits & 0x7FFFFF;
        if (exponent <= 0) {
            return (short) sign; // below half's normal range: zero is close enough for these weights
        }
        if (exponent >= 31) {
            return (short) (sign | 0x7C00);
        }
        int half = sign | (exponent << 10) | (mantissa >>> 13);
        if ((mantissa & 0x1FFF) > 0x1000 || ((mantissa & 0x1FFF) == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) half;
    }
}
