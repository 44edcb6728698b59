package io.lmaas.worker.hf.lora;

import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A PEFT LoRA adapter's {@code adapter_config.json}, as far as serving it needs: the rank, the scaling of its deltas
 * ({@code lora_alpha / r}, or {@code lora_alpha / sqrt(r)} with {@code use_rslora}), the modules it targets and those it
 * saves whole ({@code modules_to_save}: a classifier's new head). What is not served (DoRA, biases, fan-in-fan-out
 * layouts, other PEFT types) is refused by name. Pure file reading; shared by decoder and encoder adapters.
 */
public record PeftConfig(int rank, double scaling, Set<String> targets, Set<String> saved, Path weights) {

    public static PeftConfig read(Path dir) {
        JsonObject config = HfDirectory.json(dir, "adapter_config.json");
        if (config == null) {
            throw new ModelDirectoryException("adapter_config.json: missing (a PEFT LoRA adapter directory is expected)");
        }
        String type = config.getString("peft_type", "LORA");
        if (!"LORA".equals(type)) {
            throw new ModelDirectoryException("adapter_config.json: peft_type " + type + " is not served (LORA)");
        }
        int rank = config.getValue("r") instanceof Number n ? n.intValue() : 0;
        if (rank <= 0) {
            throw new ModelDirectoryException("adapter_config.json: 'r' must be a positive integer");
        }
        double alpha = config.getValue("lora_alpha") instanceof Number n ? n.doubleValue() : rank;
        for (String flag : List.of("use_dora", "fan_in_fan_out")) {
            if (config.getBoolean(flag, false)) {
                throw new ModelDirectoryException("adapter_config.json: " + flag + " is not served");
            }
        }
        if (!"none".equals(config.getString("bias", "none"))) {
            throw new ModelDirectoryException("adapter_config.json: bias '" + config.getString("bias") + "' is not served (none)");
        }
        double scaling = config.getBoolean("use_rslora", false) ? alpha / Math.sqrt(rank) : alpha / rank;
        Path file = dir.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(file)) {
            throw new ModelDirectoryException("adapter_model.safetensors: missing");
        }
        return new PeftConfig(rank, scaling, names(config, "target_modules", true), names(config, "modules_to_save", false), file);
    }

    private static Set<String> names(JsonObject config, String field, boolean required) {
        Object raw = config.getValue(field);
        if (raw == null && !required) {
            return Set.of();
        }
        if (!(raw instanceof JsonArray list) || !list.stream().allMatch(String.class::isInstance)) {
            throw new ModelDirectoryException("adapter_config.json: " + field + " must be a list of module names");
        }
        Set<String> out = new LinkedHashSet<>();
        list.forEach(o -> out.add((String) o));
        return out;
    }
}
