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
}
