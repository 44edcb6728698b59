package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.EncoderClassifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Serves an {@link EncoderClassifier}: tokenise, pad to the longest input, one forward pass per call. */
public final class ClassifierRuntime implements ModelRuntime {
    private final ServingProperties props;
    private final LoadedBlock loaded;
    private final long padId;

    private ClassifierRuntime(ServingProperties props, LoadedBlock loaded) {
        this.props = props;
        this.loaded = loaded;
        long[] pad = props.padToken() == null ? new long[0] : loaded.tokenizer().encode(props.padToken());
        this.padId = pad.length == 1 ? pad[0] : 0;
    }

    static ClassifierRuntime load(Path directory, ServingProperties props) {
        EncoderClassifier block = new EncoderClassifier(props.spec(), props.labels().size());
        ClassifierRuntime runtime = new ClassifierRuntime(props, LoadedBlock.load(directory, props, block));
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

    @Override
    public ServingProperties properties() {
        return props;
    }

    /** The tokenizer's ids for {@code text} (no truncation). */
    public long[] tokenizerEncode(String text) {
        return loaded.tokenizer().encode(text);
    }

    @Override
    public int countTokens(String text) {
        return loaded.tokenizer().encode(text).length;
    }

    /** One input tokenised for {@link #classifyEncoded}: ids truncated to the model's context, and how many it had. */
    public record Encoded(long[] ids, int tokens) {
    }

    /** Tokenises one input (truncated to the model's context); an input with no tokens is refused. */
    public Encoded encode(String text) {
        long[] ids = loaded.tokenizer().encode(text);
        if (ids.length == 0) {
            throw new IllegalArgumentException("input must not be empty");
        }
        int maxLength = props.spec().maxLength();
        return new Encoded(ids.length > maxLength ? java.util.Arrays.copyOf(ids, maxLength) : ids, ids.length);
    }

    /** Classifies a batch; inputs longer than the model's context are truncated to it. */
    public List<Classification> classify(List<String> texts) {
        return classifyEncoded(texts.stream().map(this::encode).toList());
    }

    /** Classifies a batch of inputs already tokenised by {@link #encode} (done off the inference thread). */
    public List<Classification> classifyEncoded(List<Encoded> inputs) {
        long[][] encoded = new long[inputs.size()][];
        int[] tokens = new int[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            encoded[i] = inputs.get(i).ids();
            tokens[i] = inputs.get(i).tokens();
        }
        float[][] logits = logits(encoded);
        List<String> labels = props.labels();
        List<Classification> out = new ArrayList<>(inputs.size());
        for (int b = 0; b < inputs.size(); b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits[b]) {
                max = Math.max(max, l);
            }
            double[] p = new double[labels.size()];
            double total = 0;
            for (int c = 0; c < p.length; c++) {
                p[c] = Math.exp(logits[b][c] - max);
                total += p[c];
            }
            Map<String, Double> scores = new LinkedHashMap<>();
            int best = 0;
            for (int c = 0; c < p.length; c++) {
                scores.put(labels.get(c), p[c] / total);
                if (p[c] > p[best]) {
                    best = c;
                }
            }
            out.add(new Classification(labels.get(best), p[best] / total, scores, tokens[b]));
        }
        return out;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
