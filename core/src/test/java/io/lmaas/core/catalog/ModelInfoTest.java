package io.lmaas.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoTest {

    /** A safetensors file holding only a header (the data is not read). */
    private static void safetensors(Path file, JsonObject header) throws Exception {
        byte[] json = header.encode().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Files.write(file, b.array());
    }

    private static JsonObject tensor(String dtype, long... shape) {
        JsonArray s = new JsonArray();
        for (long d : shape) {
            s.add(d);
        }
        return new JsonObject().put("dtype", dtype).put("shape", s).put("data_offsets", new JsonArray().add(0).add(0));
    }

    /** A classifier adapter carries a config.json for its labels: it is still described as the adapter it is. */
    @Test
    void aClassifierAdapterIsDescribedAsAnAdapterWithItsLabels(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("adapter_config.json"), new JsonObject().put("peft_type", "LORA").put("task_type", "SEQ_CLS")
                .put("r", 8).put("lora_alpha", 16).put("target_modules", new JsonArray().add("query").add("value")).encode());
        Files.writeString(dir.resolve("config.json"), new JsonObject().put("id2label", new JsonObject().put("0", "no").put("1", "yes"))
                .encode());
        safetensors(dir.resolve("adapter_model.safetensors"), new JsonObject()
                .put("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight", tensor("F32", 8, 32))
                .put("base_model.model.classifier.weight", tensor("F32", 2, 32)));
        JsonObject info = ModelInfo.of(dir);
        assertThat(info.getString("architecture")).isEqualTo("LoRA adapter");
        assertThat(info.getInteger("rank")).isEqualTo(8);
        assertThat(info.getString("task_type")).isEqualTo("SEQ_CLS");
        assertThat(info.getJsonArray("labels")).containsExactly("no", "yes");
        assertThat(info.getLong("parameters")).isEqualTo(8 * 32 + 2 * 32);
    }

    @Test
    void aShardedHalfPrecisionRobertaIsDescribedFromItsHeaders(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), new JsonObject().put("architectures", new JsonArray()
                .add("XLMRobertaForSequenceClassification")).put("model_type", "xlm-roberta").put("hidden_size", 768)
                .put("num_hidden_layers", 12).put("max_position_embeddings", 514).put("pad_token_id", 1).encode());
        safetensors(dir.resolve("a.safetensors"), new JsonObject().put("__metadata__", new JsonObject().put("format", "pt"))
                .put("x.weight", tensor("F16", 1000, 768)).put("x.position_ids", tensor("I64", 1, 514)));
        safetensors(dir.resolve("b.safetensors"), new JsonObject().put("y.weight", tensor("F16", 768, 768)).put("y.bias", tensor("F16", 768)));
        Files.writeString(dir.resolve("model.safetensors.index.json"), new JsonObject().put("weight_map", new JsonObject()
                .put("x.weight", "a.safetensors").put("y.weight", "b.safetensors").put("y.bias", "b.safetensors")).encode());
        JsonObject info = ModelInfo.of(dir);
        assertThat(info.getString("architecture")).isEqualTo("XLMRobertaForSequenceClassification");
        assertThat(info.getLong("parameters")).isEqualTo(1000L * 768 + 768 * 768 + 768);
        assertThat(info.getString("dtype")).isEqualTo("float16");
        assertThat(info.getInteger("max_length")).isEqualTo(512);
        assertThat(info.getLong("weights_bytes")).isEqualTo(info.getLong("parameters") * 4);
    }

    @Test
    void sentenceTransformersLimitTheLengthAndBrokenFilesAreNotFatal(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), new JsonObject().put("model_type", "bert").put("max_position_embeddings", 512)
                .encode());
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\":256}");
        Files.writeString(dir.resolve("model.safetensors"), "garbage");
        JsonObject info = ModelInfo.of(dir);
        assertThat(info.getInteger("max_length")).isEqualTo(256);
        assertThat(info.getString("architecture")).isEqualTo("bert");
        assertThat(info.containsKey("parameters")).isFalse();
        assertThat(ModelInfo.of(dir.resolve("absent"))).isEqualTo(new JsonObject());
    }
}
