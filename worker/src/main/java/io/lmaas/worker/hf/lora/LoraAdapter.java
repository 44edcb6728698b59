package io.lmaas.worker.hf.lora;

import io.lmaas.worker.hf.SafetensorsReader;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter ({@code adapter_config.json} + {@code adapter_model.safetensors}) for a Llama-family base, read and
 * checked against the base's shapes: each adapted projection W (out, in) gains {@code scaling · B A} with A (r, in) and
 * B (out, r), {@code scaling = lora_alpha / r} (or {@code lora_alpha / sqrt(r)} with {@code use_rslora}). A mismatch —
 * rank, a module the base does not have, a shape, a layer past the base's — names itself. Pure file reading.
 */
public record LoraAdapter(int rank, double scaling, Map<Key, Pair> weights) implements LowRankAdapter {

    /** The projections an adapter may target. */
    public static final Set<String> MODULES = Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** One adapted projection: {@code layer}, {@code module} (q_proj, ...). */
    public record Key(int layer, String module) {
        /** PEFT's name for its factor {@code "A"} or {@code "B"}. */
        public String tensorName(String factor) {
            return "base_model.model." + prefix() + ".lora_" + factor + ".weight";
        }

        /** The name of the base's weight this factor pair adapts ({@code model.layers.3.self_attn.q_proj.weight}). */
        public String baseTensorName() {
            return prefix() + ".weight";
        }

        private String prefix() {
            String parent = module.equals("gate_proj") || module.equals("up_proj") || module.equals("down_proj") ? "mlp" : "self_attn";
            return "model.layers." + layer + "." + parent + "." + module;
        }
    }

    /** Its low-rank factors, row-major: A (rank × in), B (out × rank). */
    public record Pair(float[] a, float[] b, int in, int out) {
    }

    private static final Pattern NAME = Pattern.compile(
            "^base_model\\.model\\.model\\.layers\\.(\\d+)\\.(?:self_attn|mlp)\\.(\\w+)\\.lora_([AB])(?:\\.default)?\\.weight$");

    public static LoraAdapter load(Path dir, DecoderConfig base) {
        PeftConfig peft = PeftConfig.read(dir);
        int rank = peft.rank();
        for (String target : peft.targets()) {
            if (!MODULES.contains(target)) {
                throw new ModelDirectoryException("adapter_config.json: target module '" + target + "' is not a projection of "
                        + base.architecture() + " " + new TreeSet<>(MODULES));
            }
        }
        Set<String> modules = peft.targets();
        double scaling = peft.scaling();
        Path file = peft.weights();
        Map<Key, float[]> as = new LinkedHashMap<>();
        Map<Key, float[]> bs = new LinkedHashMap<>();
        SafetensorsReader.read(file, (name, t) -> {
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' is not a LoRA factor of a decoder layer");
            }
            Key key = new Key(Integer.parseInt(m.group(1)), m.group(2));
            if (!modules.contains(key.module())) {
                throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' adapts " + key.module()
                        + ", which target_modules does not list");
            }
            if (key.layer() >= base.layers()) {
                throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' is for layer " + key.layer()
                        + " but the base has " + base.layers());
            }
            int[] dims = dims(base, key.module());
            boolean isA = m.group(3).equals("A");
            long[] want = isA ? new long[] {rank, dims[1]} : new long[] {dims[0], rank};
            if (!java.util.Arrays.equals(t.shape(), want)) {
                throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' has shape "
                        + java.util.Arrays.toString(t.shape()) + "; rank " + rank + " on this base needs " + java.util.Arrays.toString(want));
            }
            (isA ? as : bs).put(key, t.values());
        });
        Map<Key, Pair> weights = pairs(as, bs, module -> dims(base, module));
        return new LoraAdapter(rank, scaling, weights);
    }

    /**
     * Each projection's A and B factors paired ({@code dims} gives a module's (out, in)); a factor without its partner,
     * or no factor at all, is refused by name. Shared by decoder and encoder adapters.
     */
    static Map<Key, Pair> pairs(Map<Key, float[]> as, Map<Key, float[]> bs, java.util.function.Function<String, int[]> dims) {
        if (as.isEmpty()) {
            throw new ModelDirectoryException("adapter_model.safetensors: no LoRA factors");
        }
        Map<Key, Pair> weights = new LinkedHashMap<>();
        for (Map.Entry<Key, float[]> e : as.entrySet()) {
            float[] b = bs.remove(e.getKey());
            if (b == null) {
                throw new ModelDirectoryException("adapter_model.safetensors: " + e.getKey() + " has lora_A but no lora_B");
            }
            int[] d = dims.apply(e.getKey().module());
            weights.put(e.getKey(), new Pair(e.getValue(), b, d[1], d[0]));
        }
        if (!bs.isEmpty()) {
            throw new ModelDirectoryException("adapter_model.safetensors: " + bs.keySet().iterator().next() + " has lora_B but no lora_A");
        }
        return weights;
    }

    /** (out, in) of a projection of the base. */
    public static int[] dims(DecoderConfig c, String module) {
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        return switch (module) {
            case "q_proj" -> new int[] {q, c.hidden()};
            case "k_proj", "v_proj" -> new int[] {kv, c.hidden()};
            case "o_proj" -> new int[] {c.hidden(), q};
            case "gate_proj", "up_proj" -> new int[] {c.intermediate(), c.hidden()};
            case "down_proj" -> new int[] {c.hidden(), c.intermediate()};
            default -> throw new IllegalArgumentException(module);
        };
    }

    /** Bytes the factors take in float32. */
    public long bytes() {
        return weights.values().stream().mapToLong(p -> 4L * (p.a().length + p.b().length)).sum();
    }
}
