package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.lmaas.worker.explain.Explained;
import io.lmaas.worker.explain.Explaining;
import io.lmaas.worker.explain.IntegratedGradients;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.encoder.EncoderTokenizer;
import io.lmaas.worker.hf.encoder.SentencePooling;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;

/**
 * A Hugging Face encoder checkpoint (BERT, RoBERTa, XLM-R, DistilBERT) served as it is: a sequence classifier answers
 * classifications with its own labels ({@code id2label}); a bare encoder (or any encoder told {@code task=feature-extraction})
 * answers sentence embeddings pooled as its sentence-transformers configuration says. Computed in float32 on the CPU
 * whatever the stored dtype, on the
 * worker's {@link ComputeDevice}.
 */
public final class EncoderRuntime implements ModelRuntime, Explaining {
    private final HfDirectory directory;
    private final String task;
    private final EncoderConfig config;
    private final BertFamilyEncoder encoder;
    private final SentencePooling pooling;
    private final EncoderTokenizer tokenizer;
    private final NDManager manager;
    private final List<String> labels;
    private final JsonObject description;
    private final EncoderAdapters adapters;

    private EncoderRuntime(HfDirectory directory, String task, EncoderConfig config, BertFamilyEncoder encoder,
            SentencePooling pooling, EncoderTokenizer tokenizer, NDManager manager, JsonObject description) {
        this.directory = directory;
        this.task = task;
        this.config = config;
        this.encoder = encoder;
        this.pooling = pooling;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.labels = List.copyOf(config.labels().values());
        this.description = description;
        this.adapters = new EncoderAdapters(config, encoder, manager, directory.maxAdapters());
    }

    static EncoderRuntime load(HfDirectory hf, ComputeDevice device) {
        EncoderConfig config = EncoderConfig.parse(hf.config());
        String task = hf.taskOverride() != null ? hf.taskOverride()
                : config.classifier() ? ServingProperties.CLASSIFICATION : FEATURE_EXTRACTION;
        if (!task.equals(FEATURE_EXTRACTION) && !(task.equals(ServingProperties.CLASSIFICATION) && config.classifier())) {
            throw new ModelDirectoryException(ServingProperties.FILE + ": task '" + task + "' is not served by this checkpoint"
                    + " (a bare encoder serves feature-extraction; a *ForSequenceClassification checkpoint serves "
                    + "text-classification or feature-extraction)");
        }
        hf.batching(false);
        NDManager manager = NDManager.newBaseManager(device.device(), "PyTorch");
        EncoderTokenizer tokenizer = null;
        try {
            HfWeights weights = HfWeights.load(hf.directory(), manager);
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, weights, manager);
            weights.releaseUnused();
            encoder.fuseForInference();
            SentencePooling pooling = task.equals(FEATURE_EXTRACTION) ? SentencePooling.read(hf.directory()) : null;
            tokenizer = EncoderTokenizer.load(hf.directory(), hf.maxTokens(config.maxTokens()), config.vocab());
            JsonObject description = new JsonObject()
                    .put("architecture", hf.config().getJsonArray("architectures", new io.vertx.core.json.JsonArray())
                            .stream().findFirst().orElse(config.family().modelType))
                    .put("family", config.family().modelType)
                    .put("parameters", weights.parameters())
                    .put("dtype", weights.storedType())
                    .put("compute_dtype", "float32")
                    .mergeIn(device.describe())
                    .put("max_length", tokenizer.maxTokens())
                    .put("hidden_size", config.hidden())
                    .put("layers", config.layers())
                    .put("weights_bytes", weights.parameters() * Float.BYTES);
            if (pooling != null) {
                description.put("dimensions", config.hidden()).put("pooling", pooling.mode().name().toLowerCase())
                        .put("normalize", pooling.normalize());
            } else {
                description.put("labels", new io.vertx.core.json.JsonArray(List.copyOf(config.labels().values())));
            }
            EncoderRuntime runtime = new EncoderRuntime(hf, task, config, encoder, pooling, tokenizer, manager, description);
            runtime.probe();
            return runtime;
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e instanceof ModelDirectoryException ? e
                    : new ModelDirectoryException("the checkpoint does not run: " + e.getMessage(), e);
        }
    }

    /** One forward pass before serving, so a checkpoint that cannot run is refused at load. */
    private void probe() {
        Encoded probe = tokenizer.encode("probe", true);
        if (pooling != null) {
            embedder().run(List.of(probe));
        } else {
            classifier().run(List.of(probe));
        }
    }

    @Override
    public String task() {
        return task;
    }

    @Override
    public ServingProperties.Batching batching() {
        return directory.batching(false);
    }

    @Override
    public JsonObject describe() {
        return description.copy();
    }

    @Override
    public int countTokens(String text) {
        return text.isEmpty() ? 0 : tokenizer.encode(text, true).tokens();
    }

    /** The embedding size. */
    public int dimensions() {
        return config.hidden();
    }

    public EncoderTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Classification over the checkpoint's own head and labels, and over LoRA adapters' (an input's
     * {@link Encoded#adapter()} slot; a bare encoder classifies only with an adapter).
     */
    public BatchedModel<Classification> classifier() {
        return new BatchedModel<>() {
            @Override
            public Encoded encode(String text, boolean truncate) {
                return tokenizer.encode(text, truncate);
            }

            @Override
            public List<Classification> run(List<Encoded> inputs) {
                return NoGradients.run(() -> classify(inputs));
            }
        };
    }

    private List<Classification> classify(List<Encoded> inputs) {
        try (NDManager request = manager.newSubManager()) {
            if (pooling == null && inputs.stream().allMatch(e -> e.adapter() == 0)) {
                float[] flat = encoder.logits(encoder.hiddenStates(request, ids(inputs), null)).toFloatArray();
                return Classification.fromLogits(rows(flat, inputs.size()), labels, inputs);
            }
            return adapters.classify(request, inputs, labels);
        }
    }

    /** How many layers ran as one fused call so far ({@link BertFamilyEncoder#fusedLayerCalls}). */
    public long fusedLayerCalls() {
        return encoder.fusedLayerCalls();
    }

    /** The LoRA classifier adapters this encoder can hold ({@code max_loras} of them). */
    public EncoderAdapters adapters() {
        return adapters;
    }

    /** Why this classifier labels {@code text} as it does: integrated gradients ({@link IntegratedGradients}), per token. */
    @Override
    public Explained explain(String text, boolean truncate, int steps) {
        if (pooling != null) {
            throw new IllegalStateException("this version serves " + task);
        }
        EncoderTokenizer.Tokenized t = tokenizer.tokenized(text, truncate);
        return Explained.of(IntegratedGradients.explain(encoder, manager, t.ids(), null, steps), labels, t.tokens(), t.count());
    }

    @Override
    public int maxTokens() {
        return tokenizer.maxTokens();
    }

    /** Sentence embeddings, pooled (and normalised) as the model's sentence-transformers configuration says. */
    public BatchedModel<float[]> embedder() {
        if (pooling == null) {
            throw new IllegalStateException("this version serves " + task);
        }
        return new BatchedModel<>() {
            @Override
            public Encoded encode(String text, boolean truncate) {
                return tokenizer.encode(text, truncate);
            }

            @Override
            public List<float[]> run(List<Encoded> inputs) {
                return NoGradients.run(() -> embed(inputs));
            }
        };
    }

    private List<float[]> embed(List<Encoded> inputs) {
        try (NDManager request = manager.newSubManager()) {
            NDArray states = encoder.hiddenStates(request, ids(inputs), null);
            int[] lengths = inputs.stream().mapToInt(Encoded::length).toArray();
            return Arrays.asList(rows(pooling.apply(request, states, lengths).toFloatArray(), inputs.size()));
        }
    }

    private static long[][] ids(List<Encoded> inputs) {
        long[][] ids = new long[inputs.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = inputs.get(i).ids();
        }
        return ids;
    }

    private static float[][] rows(float[] flat, int count) {
        int width = flat.length / count;
        float[][] out = new float[count][];
        for (int b = 0; b < count; b++) {
            out[b] = Arrays.copyOfRange(flat, b * width, (b + 1) * width);
        }
        return out;
    }

    @Override
    public void close() {
        adapters.close();
        tokenizer.close();
        encoder.close();
    }
}
