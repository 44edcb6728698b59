package io.lmaas.worker.hf.encoder;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.ndarray.NDArray;
import io.lmaas.worker.hf.SafetensorsWriter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a fine-tuned encoder as a Hugging Face {@code *ForSequenceClassification} directory: {@code config.json} (the
 * base's, with the architecture, {@code id2label} and {@code label2id}), {@code model.safetensors} under the names
 * Hugging Face's modeling code uses ({@code bert.encoder.…}, {@code classifier.…}), and the base's tokenizer files. The
 * same directory is served by LMaaS, loads in {@code transformers}, and resumes a run.
 */
public final class ClassifierCheckpoint {
    private static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.txt", "sentencepiece.bpe.model", "sentence_bert_config.json");
    private static final Map<EncoderConfig.Family, String> ARCHITECTURES = Map.of(
            EncoderConfig.Family.BERT, "BertForSequenceClassification",
            EncoderConfig.Family.ROBERTA, "RobertaForSequenceClassification",
            EncoderConfig.Family.XLM_ROBERTA, "XLMRobertaForSequenceClassification",
            EncoderConfig.Family.DISTILBERT, "DistilBertForSequenceClassification");

    private ClassifierCheckpoint() {
    }

    /** Writes {@code encoder} (with its head and labels) into {@code target}, a new directory, using {@code base}'s files. */
    public static void write(BertFamilyEncoder encoder, JsonObject baseConfig, Path base, Path target) throws IOException {
        Files.createDirectories(target);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : encoder.parameters().entrySet()) {
            String name = encoder.classifierName(e.getKey());
            NDArray a = e.getValue();
            tensors.put(name, new SafetensorsWriter.Tensor(a.getShape().getShape(), a.toFloatArray()));
        }
        SafetensorsWriter.write(target.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        JsonObject config = labelled(baseConfig.copy(), encoder.labels())
                .put("architectures", new JsonArray().add(ARCHITECTURES.get(encoder.config().family()))).put("torch_dtype", "float32");
        Artifacts.writeString(target.resolve("config.json"), config.encodePrettily());
        copyTokenizer(base, target);
    }

    /** {@code config} with {@code id2label} and {@code label2id} for {@code labels}. */
    public static JsonObject labelled(JsonObject config, List<String> labels) {
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        return config.put("id2label", id2label).put("label2id", label2id);
    }

    /** The base's tokenizer files, copied into {@code target} (an adapter's directory carries them too, as PEFT users save them). */
    public static void copyTokenizer(Path base, Path target) throws IOException {
        for (String f : TOKENIZER_FILES) {
            if (Files.isRegularFile(base.resolve(f))) {
                Artifacts.copy(base.resolve(f), target.resolve(f));
            }
        }
    }
}
