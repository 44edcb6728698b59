package io.lmaas.worker.hf.lora;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import io.lmaas.worker.hf.SafetensorsWriter;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.hf.decoder.LlamaFamilyDecoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA factors being trained, as PEFT initialises and applies them: for each target projection of every layer, A
 * (r, in) uniform in ±1/√in (PEFT's kaiming-uniform with a = √5) and B (out, r) zero, so training starts from the base;
 * the projection gains {@code dropout(x) · Aᵀ · Bᵀ · alpha / r}. Saved in PEFT's layout, so the result is an adapter
 * any PEFT user can load, and this worker serves.
 */
public final class LoraTrainable {
    /** The hyperparameters of an adapter: rank, alpha, dropout, the projections it targets. */
    public record Options(int rank, float alpha, float dropout, List<String> targets) {
        public static final Options DEFAULT = new Options(8, 16, 0.05f, List.of("q_proj", "k_proj", "v_proj", "o_proj"));

        public Options {
            if (rank < 1 || rank > 256) {
                throw new IllegalArgumentException("lora rank must be 1 to 256");
            }
            if (!(dropout >= 0 && dropout < 1) || !(alpha > 0)) {
                throw new IllegalArgumentException("lora alpha must be positive and dropout in [0, 1)");
            }
            for (String t : targets) {
                if (!LoraAdapter.MODULES.contains(t)) {
                    throw new IllegalArgumentException("lora target '" + t + "' is not one of " + new java.util.TreeSet<>(LoraAdapter.MODULES));
                }
            }
            targets = List.copyOf(targets);
        }
    }

    private final DecoderConfig base;
    private final Options options;
    private final Map<LoraAdapter.Key, NDArray[]> factors = new LinkedHashMap<>();

    private LoraTrainable(DecoderConfig base, Options options) {
        this.base = base;
        this.options = options;
    }

    /** Fresh factors (A random, B zero) in {@code manager}, seeded. */
    public static LoraTrainable init(DecoderConfig base, Options options, NDManager manager, long seed) {
        LoraTrainable t = new LoraTrainable(base, options);
        SplittableRandom random = new SplittableRandom(seed);
        for (int layer = 0; layer < base.layers(); layer++) {
            for (String module : options.targets()) {
                int[] dims = LoraAdapter.dims(base, module);
                float[] a = new float[options.rank() * dims[1]];
                double bound = 1 / Math.sqrt(dims[1]);
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextDouble(-bound, bound);
                }
                t.put(manager, new LoraAdapter.Key(layer, module), a, new float[dims[0] * options.rank()], dims);
            }
        }
        return t;
    }

    /** The factors of a saved adapter (to resume training from it). */
    public static LoraTrainable of(LoraAdapter adapter, DecoderConfig base, Options options, NDManager manager) {
        LoraTrainable t = new LoraTrainable(base, options);
        adapter.weights().forEach((key, p) -> t.put(manager, key, p.a(), p.b(), new int[] {p.out(), p.in()}));
        return t;
    }

    private void put(NDManager manager, LoraAdapter.Key key, float[] a, float[] b, int[] dims) {
        // Copies in libtorch's memory: an array made from Java data borrows a buffer only its Java object keeps alive.
        NDArray[] pair = {own(manager.create(a, new Shape(options.rank(), dims[1]))), own(manager.create(b, new Shape(dims[0], options.rank())))};
        pair[0].setRequiresGradient(true);
        pair[1].setRequiresGradient(true);
        factors.put(key, pair);
    }

    private static NDArray own(NDArray borrowed) {
        NDArray copy = borrowed.duplicate();
        borrowed.close();
        return copy;
    }

    /** The trainable arrays by PEFT name (for the optimiser and for clipping). */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        factors.forEach((key, pair) -> {
            out.put(key.tensorName("A"), pair[0]);
            out.put(key.tensorName("B"), pair[1]);
        });
        return out;
    }

    /** What the factors add to the projections; with {@code training}, dropout on their input. */
    public LlamaFamilyDecoder.Deltas deltas(boolean training) {
        float scaling = options.alpha() / options.rank();
        return (layer, module, x) -> {
            NDArray[] pair = factors.get(new LoraAdapter.Key(layer, module));
            if (pair == null) {
                return null;
            }
            NDArray in = training && options.dropout() > 0
                    ? Dropout.dropout(x, options.dropout(), true).singletonOrThrow() : x;
            return in.matMul(pair[0].transpose()).matMul(pair[1].transpose()).mul(scaling);
        };
    }

    /** Writes the adapter in PEFT's layout into {@code dir} (created): adapter_config.json and adapter_model.safetensors. */
    public void save(Path dir, String baseModel) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        parameters().forEach((name, array) -> tensors.put(name, new SafetensorsWriter.Tensor(array.getShape().getShape(),
                array.toFloatArray())));
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        Artifacts.writeString(dir.resolve("adapter_config.json"), new JsonObject().put("peft_type", "LORA").put("task_type", "CAUSAL_LM")
                .put("base_model_name_or_path", baseModel).put("r", options.rank()).put("lora_alpha", options.alpha())
                .put("lora_dropout", options.dropout()).put("target_modules", new JsonArray(options.targets())).put("bias", "none")
                .put("fan_in_fan_out", false).put("use_rslora", false).put("use_dora", false).encodePrettily());
    }

    public DecoderConfig base() {
        return base;
    }
}
