package io.lmaas.worker.hf;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A Hugging Face model directory served as it is: {@code config.json} says what the model is; an optional
 * {@code serving.properties} holds only LMaaS's own settings ({@code task} to override the task the architecture
 * implies, and {@code batch.*}). Reads files only.
 */
public record HfDirectory(Path directory, JsonObject config, String taskOverride, Map<String, String> options) {

    /** True if {@code directory} is a Hugging Face directory (config.json, and no built-in architecture declared). */
    public static boolean is(Path directory) {
        if (!Files.isRegularFile(directory.resolve("config.json"))) {
            return false;
        }
        Path props = directory.resolve(ServingProperties.FILE);
        return !Files.isRegularFile(props) || !properties(props).containsKey("architecture");
    }

    public static HfDirectory read(Path directory) {
        JsonObject config = json(directory, "config.json");
        if (config == null) {
            throw new ModelDirectoryException("config.json: missing");
        }
        Path file = directory.resolve(ServingProperties.FILE);
        String task = null;
        Map<String, String> options = new LinkedHashMap<>();
        if (Files.isRegularFile(file)) {
            Properties p = properties(file);
            for (String key : p.stringPropertyNames()) {
                String value = p.getProperty(key).trim();
                if (key.equals("task")) {
                    task = value;
                } else if (key.startsWith("batch.") || key.equals(MAX_MODEL_LEN) || key.equals(MAX_LORAS)) {
                    options.put(key, value);
                } else {
                    throw new ModelDirectoryException(ServingProperties.FILE + ": '" + key + "' is not an LMaaS setting for a "
                            + "Hugging Face directory (task, max_model_len, max_loras, batch.max_size, batch.max_delay_ms, batch.queue_capacity, batch.threads)");
                }
            }
        }
        return new HfDirectory(directory, config, task, Map.copyOf(options));
    }

    /** The setting that caps a decoder's served context (vLLM's name for it). */
    public static final String MAX_MODEL_LEN = "max_model_len";
    /** How many LoRA adapters a decoder's worker holds at once (vLLM's name for it). */
    public static final String MAX_LORAS = "max_loras";

    public ServingProperties.Batching batching(boolean generator) {
        Map<String, String> batch = new LinkedHashMap<>(options);
        batch.remove(MAX_MODEL_LEN);
        batch.remove(MAX_LORAS);
        return ServingProperties.Batching.of(batch, generator);
    }

    /** {@code max_loras} from serving.properties (default 8). */
    public int maxAdapters() {
        return positive(MAX_LORAS, 8);
    }

    /** {@code max_model_len} from serving.properties, or {@code otherwise}; a bad value names itself. */
    public int maxModelLength(int otherwise) {
        return positive(MAX_MODEL_LEN, otherwise);
    }

    private int positive(String key, int otherwise) {
        String value = options.get(key);
        if (value == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ModelDirectoryException(ServingProperties.FILE + ": " + key + " must be a positive integer, not '" + value + "'");
    }

    /**
     * The longest input to serve: the architecture's limit, lowered by sentence-transformers' {@code max_seq_length}
     * or the tokenizer's {@code model_max_length} where they say less (as the model was trained and is used).
     */
    public int maxTokens(int architectureLimit) {
        int limit = architectureLimit;
        JsonObject sentence = json(directory, "sentence_bert_config.json");
        if (sentence != null && sentence.getValue("max_seq_length") instanceof Number n && n.intValue() > 0) {
            limit = Math.min(limit, n.intValue());
        }
        JsonObject tokenizer = json(directory, "tokenizer_config.json");
        if (tokenizer != null && tokenizer.getValue("model_max_length") instanceof Number n && n.longValue() > 0) {
            limit = (int) Math.min(limit, n.longValue());
        }
        return limit;
    }

    /** Whether {@code file} holds weights: a safetensors shard or the index naming them. */
    public static boolean isWeights(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".safetensors") || name.equals("model.safetensors.index.json");
    }

    /**
     * Copies every file of {@code from} but its weights into {@code to} (config, tokenizer, chat template, generation and
     * serving settings): what a checkpoint written with new weights keeps of the model it came from.
     */
    public static void copyAllButWeights(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !isWeights(f)).toList()) {
                Artifacts.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** A JSON file of the directory, or null if absent; an unreadable one names itself. */
    public static JsonObject json(Path directory, String name) {
        Path file = directory.resolve(name);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return new JsonObject(Artifacts.readString(file));
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException(name + ": not a readable JSON object (" + e.getMessage() + ")", e);
        }
    }

    private static Properties properties(Path file) {
        Properties p = new Properties();
        try (Reader r = Artifacts.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelDirectoryException(ServingProperties.FILE + ": unreadable: " + e.getMessage(), e);
        }
        return p;
    }
}
