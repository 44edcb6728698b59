package io.lmaas.worker.hf.lora;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import io.lmaas.worker.hf.SafetensorsWriter;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.hf.decoder.LlamaFamilyDecoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
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
 * any PEFT user can load, and this worker serves. For a Llama-family decoder ({@code CAUSAL_LM}) or a BERT-family
 * encoder classifier ({@code SEQ_CLS}, whose head is saved whole beside the factors).
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
            targets = List.copyOf(targets);
        }

        /** The same with other target modules. */
        public Options withTargets(List<String> modules) {
            return new Options(rank, alpha, dropout, modules);
        }
    }

    /** The targets LMaaS trains on an encoder unless told: the attention's query and value (PEFT's default for BERT). */
    public static List<String> encoderDefaultTargets(EncoderConfig base) {
        return base.family() == EncoderConfig.Family.DISTILBERT ? List.of("q_lin", "v_lin") : List.of("query", "value");
    }

    private final Options options;
    /** PEFT's name of an adapted module ({@code model.layers.0.self_attn.q_proj}, {@code bert.encoder.layer.0.attention.self.query}). */
    private final java.util.function.Function<LoraAdapter.Key, String> names;
    private final String taskType;
    private final Map<LoraAdapter.Key, NDArray[]> factors = new LinkedHashMap<>();

    private LoraTrainable(Options options, java.util.function.Function<LoraAdapter.Key, String> names, String taskType) {
        this.options = options;
        this.names = names;
        this.taskType = taskType;
    }

    private static LoraTrainable forDecoder(DecoderConfig base, Options options) {
        for (String t : options.targets()) {
            if (!LoraAdapter.MODULES.contains(t)) {
                throw new IllegalArgumentException("lora target '" + t + "' is not one of " + new java.util.TreeSet<>(LoraAdapter.MODULES));
            }
        }
        return new LoraTrainable(options, key -> key.baseTensorName().substring(0, key.baseTensorName().length() - ".weight".length()),
                "CAUSAL_LM");
    }

    private static LoraTrainable forEncoder(EncoderConfig base, Options options) {
        for (String t : options.targets()) {
            if (base.projections().stream().noneMatch(p -> p.equals(t) || p.endsWith("." + t))) {
                throw new IllegalArgumentException("lora target '" + t + "' is not a projection of a " + base.family().modelType
                        + " layer " + base.projections());
            }
        }
        String layers = base.family().prefix + "." + base.layersPath();
        return new LoraTrainable(options, key -> layers + key.layer() + "." + key.module(), "SEQ_CLS");
    }

    /** Fresh factors (A random, B zero) in {@code manager}, seeded, on a Llama-family decoder's target projections. */
    public static LoraTrainable init(DecoderConfig base, Options options, NDManager manager, long seed) {
        LoraTrainable t = forDecoder(base, options);
        List<LoraAdapter.Key> keys = new java.util.ArrayList<>();
        for (int layer = 0; layer < base.layers(); layer++) {
            for (String module : options.targets()) {
                keys.add(new LoraAdapter.Key(layer, module));
            }
        }
        return t.fresh(keys, module -> LoraAdapter.dims(base, module), manager, seed);
    }

    /** Fresh factors on an encoder's layers: every projection a target names (a leaf name like {@code query} or a path). */
    public static LoraTrainable init(EncoderConfig base, Options options, NDManager manager, long seed) {
        LoraTrainable t = forEncoder(base, options);
        List<LoraAdapter.Key> keys = new java.util.ArrayList<>();
        for (int layer = 0; layer < base.layers(); layer++) {
            for (String path : base.projections()) {
                if (options.targets().stream().anyMatch(target -> path.equals(target) || path.endsWith("." + target))) {
                    keys.add(new LoraAdapter.Key(layer, path));
                }
            }
        }
        return t.fresh(keys, base::dims, manager, seed);
    }

    private LoraTrainable fresh(List<LoraAdapter.Key> keys, java.util.function.Function<String, int[]> dimsOf, NDManager manager,
            long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (LoraAdapter.Key key : keys) {
            int[] dims = dimsOf.apply(key.module());
            float[] a = new float[options.rank() * dims[1]];
            double bound = 1 / Math.sqrt(dims[1]);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-bound, bound);
            }
            put(manager, key, a, new float[dims[0] * options.rank()], dims);
        }
        return this;
    }

    /** The factors of a saved decoder adapter (to resume training from it). */
    public static LoraTrainable of(LoraAdapter adapter, DecoderConfig base, Options options, NDManager manager) {
        return forDecoder(base, options).resumed(adapter, manager);
    }

    /** The factors of a saved encoder adapter (to resume training from it). */
    public static LoraTrainable of(EncoderLoraAdapter adapter, EncoderConfig base, Options options, NDManager manager) {
        return forEncoder(base, options).resumed(adapter, manager);
    }

    private LoraTrainable resumed(LowRankAdapter adapter, NDManager manager) {
        adapter.weights().forEach((key, p) -> put(manager, key, p.a(), p.b(), new int[] {p.out(), p.in()}));
        return this;
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
            out.put("base_model.model." + names.apply(key) + ".lora_A.weight", pair[0]);
            out.put("base_model.model." + names.apply(key) + ".lora_B.weight", pair[1]);
        });
        return out;
    }

    /** What the factors add to a decoder's projections; with {@code training}, dropout on their input. */
    public LlamaFamilyDecoder.Deltas deltas(boolean training) {
        return (layer, module, x) -> delta(layer, module, x, training);
    }

    /** What the factors add to an encoder's projections; with {@code training}, dropout on their input. */
    public io.lmaas.worker.hf.encoder.BertFamilyEncoder.Deltas encoderDeltas(boolean training) {
        return (layer, module, x) -> delta(layer, module, x, training);
    }

    private NDArray delta(int layer, String module, NDArray x, boolean training) {
        NDArray[] pair = factors.get(new LoraAdapter.Key(layer, module));
        if (pair == null) {
            return null;
        }
        NDArray in = training && options.dropout() > 0 ? Dropout.dropout(x, options.dropout(), true).singletonOrThrow() : x;
        return in.matMul(pair[0].transpose()).matMul(pair[1].transpose()).mul(options.alpha() / options.rank());
    }

    /** Writes the adapter in PEFT's layout into {@code dir} (created): adapter_config.json and adapter_model.safetensors. */
    public void save(Path dir, String baseModel) throws IOException {
        save(dir, baseModel, Map.of(), List.of());
    }

    /**
     * The same with tensors PEFT saves whole ({@code modules_to_save}: a classifier's head, by their model names, saved as
     * {@code base_model.model.<name>}).
     */
    public void save(Path dir, String baseModel, Map<String, NDArray> whole, List<String> modulesToSave) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        parameters().forEach((name, array) -> tensors.put(name, new SafetensorsWriter.Tensor(array.getShape().getShape(),
                array.toFloatArray())));
        whole.forEach((name, array) -> tensors.put("base_model.model." + name, new SafetensorsWriter.Tensor(array.getShape().getShape(),
                array.toFloatArray())));
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        JsonObject config = new JsonObject().put("peft_type", "LORA").put("task_type", taskType)
                .put("base_model_name_or_path", baseModel).put("r", options.rank()).put("lora_alpha", options.alpha())
                .put("lora_dropout", options.dropout()).put("target_modules", new JsonArray(options.targets())).put("bias", "none")
                .put("fan_in_fan_out", false).put("use_rslora", false).put("use_dora", false);
        if (!modulesToSave.isEmpty()) {
            config.put("modules_to_save", new JsonArray(modulesToSave));
        }
        Artifacts.writeString(dir.resolve("adapter_config.json"), config.encodePrettily());
    }
}
