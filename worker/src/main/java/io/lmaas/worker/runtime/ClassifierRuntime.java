package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.explain.ExplainableClassifier;
import io.lmaas.worker.explain.Explained;
import io.lmaas.worker.explain.Explaining;
import io.lmaas.worker.explain.ExplanationsUnsupported;
import io.lmaas.worker.explain.IntegratedGradients;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.EncoderClassifier;
import java.nio.file.Path;
import java.util.List;

/** Serves an {@link EncoderClassifier}: tokenise, pad to the longest input, one forward pass per call. */
public final class ClassifierRuntime implements ModelRuntime, BatchedModel<Classification>, Explaining {
    private final ServingProperties props;
    private final LoadedBlock loaded;
    private final long padId;

    private ClassifierRuntime(ServingProperties props, LoadedBlock loaded) {
        this.props = props;
        this.loaded = loaded;
        long[] pad = props.padToken() == null ? new long[0] : loaded.tokenizer().encode(props.padToken());
        this.padId = pad.length == 1 ? pad[0] : 0;
    }

    static ClassifierRuntime load(Path directory, ServingProperties props, ComputeDevice device) {
        EncoderClassifier block = new EncoderClassifier(props.spec(), props.labels().size());
        ClassifierRuntime runtime = new ClassifierRuntime(props, LoadedBlock.load(directory, props, block, device));
        try {
            float[][] probe = runtime.logits(new long[][] {{0}});
            if (probe[0].length != props.labels().size()) {
                throw new ModelDirectoryException(directory + ": the network gives " + probe[0].length + " scores but "
                        + props.labels().size() + " labels are declared");
            }
        } catch (RuntimeException e) {
            runtime.close();
            throw e instanceof ModelDirectoryException ? e
                    : new ModelDirectoryException(directory + ": the network does not run: " + e.getMessage(), e);
        }
        return runtime;
    }

    /** Raw logits (one row per input) for already tokenised inputs, padded to the longest. */
    public float[][] logits(long[][] inputs) {
        return NoGradients.run(() -> unrecordedLogits(inputs));
    }

    private float[][] unrecordedLogits(long[][] inputs) {
        int longest = 1;
        for (long[] ids : inputs) {
            longest = Math.max(longest, ids.length);
        }
        long[] ids = new long[inputs.length * longest];
        float[] keep = new float[inputs.length * longest];
        for (int b = 0; b < inputs.length; b++) {
            for (int t = 0; t < longest; t++) {
                boolean token = t < inputs[b].length;
                ids[b * longest + t] = token ? inputs[b][t] : padId;
                keep[b * longest + t] = token ? 1f : 0f;
            }
        }
        try (NDManager request = loaded.manager().newSubManager()) {
            Shape shape = new Shape(inputs.length, longest);
            float[] flat = loaded.block().forward(new ParameterStore(request, false),
                    new NDList(request.create(ids, shape), request.create(keep, shape)), false).singletonOrThrow().toFloatArray();
            int classes = flat.length / inputs.length;
            float[][] out = new float[inputs.length][];
            for (int b = 0; b < inputs.length; b++) {
                out[b] = java.util.Arrays.copyOfRange(flat, b * classes, (b + 1) * classes);
            }
            return out;
        }
    }

    public ServingProperties properties() {
        return props;
    }

    @Override
    public String task() {
        return props.task();
    }

    @Override
    public ServingProperties.Batching batching() {
        return props.batching();
    }

    @Override
    public io.vertx.core.json.JsonObject describe() {
        return loaded.describe(props);
    }

    /** The tokenizer's ids for {@code text} (no truncation). */
    public long[] tokenizerEncode(String text) {
        return loaded.tokenizer().encode(text);
    }

    @Override
    public int countTokens(String text) {
        return loaded.tokenizer().encode(text).length;
    }

    @Override
    public Encoded encode(String text, boolean truncate) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an input must not be empty");
        }
        long[] ids = loaded.tokenizer().encode(text);
        if (ids.length == 0) {
            throw new IllegalArgumentException("an input must hold at least one token");
        }
        int maxLength = props.spec().maxLength();
        if (ids.length > maxLength && !truncate) {
            throw new InputTooLong(0, ids.length, maxLength);
        }
        return new Encoded(ids.length > maxLength ? java.util.Arrays.copyOf(ids, maxLength) : ids, ids.length);
    }

    /** Classifies a batch, cutting inputs longer than the model's context. */
    public List<Classification> classify(List<String> texts) {
        return run(texts.stream().map(t -> encode(t, true)).toList());
    }

    /** Classifies a batch of inputs already tokenised by {@link #encode} (done off the inference thread). */
    @Override
    public List<Classification> run(List<Encoded> inputs) {
        long[][] encoded = new long[inputs.size()][];
        for (int i = 0; i < inputs.size(); i++) {
            encoded[i] = inputs.get(i).ids();
        }
        return Classification.fromLogits(logits(encoded), props.labels(), inputs);
    }

    /** Why this classifier labels {@code text} as it does: integrated gradients over its token embeddings. */
    @Override
    public Explained explain(String text, boolean truncate, int steps) {
        long[] ids = encode(text, truncate).ids();
        String[] tokens = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            tokens[i] = loaded.tokenizer().decode(new long[] {ids[i]});
        }
        return Explained.of(explain(ids, steps), props.labels(), tokens, countTokens(text));
    }

    /** Integrated gradients for token ids as they are (a TorchScript module's embeddings cannot be replaced: refused). */
    public IntegratedGradients.Explanation explain(long[] ids, int steps) {
        if (!(loaded.block() instanceof EncoderClassifier block)) {
            throw new ExplanationsUnsupported();
        }
        ExplainableClassifier model = new ExplainableClassifier() {
            @Override
            public NDArray wordEmbeddings(NDManager m) {
                return block.embedTokens(new ParameterStore(m, false), m.create(ids, new Shape(1, ids.length))).squeeze(0);
            }

            @Override
            public NDArray logits(NDManager m, NDArray words) {
                long rows = words.getShape().get(0);
                return block.logitsFromEmbeddings(new ParameterStore(m, false), words, m.ones(new Shape(rows, ids.length)));
            }
        };
        return IntegratedGradients.explain(model, loaded.manager(), ids.length, steps);
    }

    @Override
    public int maxTokens() {
        return props.spec().maxLength();
    }

    @Override
    public void close() {
        loaded.close();
    }
}
