package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
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
    private final LoadedBlock<EncoderClassifier> loaded;
    private final long padId;

    private ClassifierRuntime(ServingProperties props, LoadedBlock<EncoderClassifier> loaded) {
        this.props = props;
        this.loaded = loaded;
        long[] pad = props.padToken() == null ? new long[0] : loaded.tokenizer().encode(props.padToken());
        this.padId = pad.length == 1 ? pad[0] : 0;
    }

    static ClassifierRuntime load(Path directory, ServingProperties props) {
        EncoderClassifier block = new EncoderClassifier(props.spec(), props.labels().size());
        return new ClassifierRuntime(props, LoadedBlock.load(directory, props, block));
    }

    @Override
    public ServingProperties properties() {
        return props;
    }

    @Override
    public int countTokens(String text) {
        return loaded.tokenizer().encode(text).length;
    }

    /** Classifies a batch; inputs longer than the model's context are truncated to it. */
    public List<Classification> classify(List<String> texts) {
        int maxLength = props.spec().maxLength();
        List<long[]> encoded = new ArrayList<>(texts.size());
        int longest = 1;
        for (String text : texts) {
            long[] ids = loaded.tokenizer().encode(text);
            if (ids.length == 0) {
                throw new IllegalArgumentException("input must not be empty");
            }
            encoded.add(ids);
            longest = Math.max(longest, Math.min(ids.length, maxLength));
        }
        long[] ids = new long[texts.size() * longest];
        float[] keep = new float[texts.size() * longest];
        for (int b = 0; b < encoded.size(); b++) {
            long[] e = encoded.get(b);
            for (int t = 0; t < longest; t++) {
                boolean token = t < e.length;
                ids[b * longest + t] = token ? e[t] : padId;
                keep[b * longest + t] = token ? 1f : 0f;
            }
        }
        float[] probabilities;
        try (NDManager request = loaded.manager().newSubManager()) {
            Shape shape = new Shape(texts.size(), longest);
            NDArray logits = loaded.block().forward(new ParameterStore(request, false),
                    new NDList(request.create(ids, shape), request.create(keep, shape)), false).singletonOrThrow();
            probabilities = logits.softmax(-1).toFloatArray();
        }
        List<String> labels = props.labels();
        List<Classification> out = new ArrayList<>(texts.size());
        for (int b = 0; b < texts.size(); b++) {
            Map<String, Double> scores = new LinkedHashMap<>();
            int best = 0;
            for (int c = 0; c < labels.size(); c++) {
                float p = probabilities[b * labels.size() + c];
                scores.put(labels.get(c), (double) p);
                if (p > probabilities[b * labels.size() + best]) {
                    best = c;
                }
            }
            out.add(new Classification(labels.get(best), scores.get(labels.get(best)), scores, encoded.get(b).length));
        }
        return out;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
