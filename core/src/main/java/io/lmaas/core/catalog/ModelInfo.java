package io.lmaas.core.catalog;

import io.lmaas.core.crypto.Artifacts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Properties;
import java.util.Set;

/**
 * What a model version directory holds, read from its files without loading the weights: a Hugging Face directory's
 * architecture ({@code config.json}), parameter count and stored dtype (the safetensors headers, sharded or not),
 * maximum input length and the memory its weights take when computed in float32; or an LMaaS built-in network's
 * architecture and context ({@code serving.properties}). Never throws: what cannot be read is left out.
 */
public final class ModelInfo {
    private static final long MAX_HEADER = 100L << 20;

    private ModelInfo() {
    }

    public static JsonObject of(Path dir) {
        JsonObject info = new JsonObject();
        try {
            JsonObject config = json(dir.resolve("config.json"));
            JsonObject adapter = json(dir.resolve("adapter_config.json"));
            if (adapter != null) {
                // A LoRA adapter (PEFT layout): its rank, alpha and targets; its factors (and a classifier's head) counted as
                // parameters; a classifier adapter's labels from the config.json beside it.
                info.put("architecture", "LoRA adapter").put("rank", adapter.getValue("r")).put("lora_alpha", adapter.getValue("lora_alpha"))
                        .put("target_modules", adapter.getValue("target_modules"));
                putIfPresent(info, "task_type", adapter.getString("task_type"));
                if (config != null && config.getJsonObject("id2label") != null) {
                    info.put("labels", new JsonArray(new java.util.ArrayList<>(config.getJsonObject("id2label").getMap().values())));
                }
                weights(dir, java.util.Set.of(dir.resolve("adapter_model.safetensors")), info);
            } else if (config != null) {
                huggingFace(dir, config, info);
            } else if (Files.isRegularFile(dir.resolve("serving.properties"))) {
                Properties p = new Properties();
                try (Reader r = Artifacts.newBufferedReader(dir.resolve("serving.properties"))) {
                    p.load(r);
                }
                putIfPresent(info, "architecture", p.getProperty("architecture"));
                if (p.getProperty("max_length") != null) {
                    info.put("max_length", Integer.parseInt(p.getProperty("max_length").trim()));
                }
                info.put("dtype", "float32");
            }
        } catch (IOException | RuntimeException e) {
            info.put("unreadable", String.valueOf(e.getMessage()));
        }
        return info;
    }

    private static void huggingFace(Path dir, JsonObject config, JsonObject info) throws IOException {
        JsonArray architectures = config.getJsonArray("architectures", new JsonArray());
        info.put("architecture", architectures.isEmpty() ? config.getString("model_type") : architectures.getString(0));
        putIfPresent(info, "model_type", config.getString("model_type"));
        Object hidden = config.getValue("hidden_size", config.getValue("dim"));
        if (hidden instanceof Number n) {
            info.put("hidden_size", n.intValue());
        }
        Object layers = config.getValue("num_hidden_layers", config.getValue("n_layers"));
        if (layers instanceof Number n) {
            info.put("layers", n.intValue());
        }
        Integer max = config.getValue("max_position_embeddings") instanceof Number n ? n.intValue() : null;
        if (max != null && ("roberta".equals(config.getString("model_type")) || "xlm-roberta".equals(config.getString("model_type")))) {
            max -= config.getInteger("pad_token_id", 1) + 1;
        }
        max = lower(max, json(dir.resolve("sentence_bert_config.json")), "max_seq_length");
        max = lower(max, json(dir.resolve("tokenizer_config.json")), "model_max_length");
        if (max != null) {
            info.put("max_length", max);
        }
        Set<Path> shards = new LinkedHashSet<>();
        JsonObject index = json(dir.resolve("model.safetensors.index.json"));
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            shards.add(dir.resolve("model.safetensors"));
        } else if (index != null && index.getJsonObject("weight_map") != null) {
            index.getJsonObject("weight_map").forEach(e -> shards.add(dir.resolve(String.valueOf(e.getValue())).normalize()));
        }
        weights(dir, shards, info);
    }

    /** Parameters, stored dtypes and float32 bytes of the float tensors in {@code shards}. */
    private static void weights(Path dir, Set<Path> shards, JsonObject info) throws IOException {
        long parameters = 0;
        Set<String> dtypes = new java.util.TreeSet<>();
        for (Path shard : shards) {
            if (!shard.startsWith(dir) || !Files.isRegularFile(shard)) {
                continue;
            }
            JsonObject header = safetensorsHeader(shard);
            for (String name : header.fieldNames()) {
                if (name.equals("__metadata__") || !(header.getValue(name) instanceof JsonObject t)) {
                    continue;
                }
                String dtype = t.getString("dtype", "");
                if (!Set.of("F32", "F16", "BF16").contains(dtype)) {
                    continue; // integer buffers are not parameters
                }
                dtypes.add(switch (dtype) {
                    case "F16" -> "float16";
                    case "BF16" -> "bfloat16";
                    default -> "float32";
                });
                long size = 1;
                for (Object d : t.getJsonArray("shape", new JsonArray())) {
                    size *= ((Number) d).longValue();
                }
                parameters += size;
            }
        }
        if (parameters > 0) {
            info.put("parameters", parameters).put("dtype", String.join("+", dtypes)).put("weights_bytes", parameters * 4);
        }
    }

    private static Integer lower(Integer max, JsonObject file, String key) {
        if (file != null && file.getValue(key) instanceof Number n && n.longValue() > 0 && (max == null || n.longValue() < max)) {
            return (int) n.longValue();
        }
        return max;
    }

    /** A safetensors file's JSON header (8-byte little-endian length, then the JSON). */
    static JsonObject safetensorsHeader(Path file) throws IOException {
        try (InputStream in = Artifacts.newInputStream(file)) {
            byte[] len = in.readNBytes(8);
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (len.length != 8 || n <= 0 || n > MAX_HEADER) {
                throw new IOException(file.getFileName() + ": not a safetensors file");
            }
            return new JsonObject(new String(in.readNBytes((int) n), StandardCharsets.UTF_8));
        }
    }

    private static JsonObject json(Path file) throws IOException {
        return Files.isRegularFile(file) ? new JsonObject(Artifacts.readString(file)) : null;
    }

    private static void putIfPresent(JsonObject o, String key, String value) {
        if (value != null) {
            o.put(key, value.trim());
        }
    }
}
