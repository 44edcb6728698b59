package io.lmaas.worker.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.Weights;
import io.lmaas.worker.nn.EncoderClassifier;
import io.lmaas.worker.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Trains an {@link EncoderClassifier} on labelled texts and measures validation accuracy. */
public final class ClassifierTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierTrainer.class);

    /** A tokenised example: ids (already truncated) and the label index. */
    public record Sample(long[] ids, int label) {
    }

    private ClassifierTrainer() {
    }

    public static List<Sample> tokenize(TextTokenizer tokenizer, List<String> texts, List<Integer> labels, int maxLength) {
        List<Sample> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            long[] ids = tokenizer.encode(texts.get(i));
            if (ids.length > maxLength) {
                ids = java.util.Arrays.copyOf(ids, maxLength);
            }
            out.add(new Sample(ids, labels.get(i)));
        }
        return out;
    }

    /** Trains, measures validation accuracy and writes the weights to {@code weightsFile}. */
    public static TrainingReport train(EncoderClassifier block, List<Sample> train, List<Sample> validation, long padId,
            TrainingOptions options, Path weightsFile) throws IOException {
        long start = System.currentTimeMillis();
        List<Double> epochLoss = new ArrayList<>();
        int steps = 0;
        int maxLength = block.spec().maxLength();
        try (Trainers.Session session = Trainers.open("classifier", block, options,
                new Shape(options.batchSize(), maxLength), new Shape(options.batchSize(), maxLength))) {
            List<Sample> order = new ArrayList<>(train);
            for (int epoch = 0; epoch < options.epochs(); epoch++) {
                Collections.shuffle(order, new Random(options.seed() + epoch));
                Trainers.EpochLoss loss = new Trainers.EpochLoss();
                int batches = 0;
                for (int from = 0; from < order.size(); from += options.batchSize()) {
                    List<Sample> batch = order.subList(from, Math.min(order.size(), from + options.batchSize()));
                    loss.add(session.step(m -> {
                        NDList inputs = inputs(m, batch, padId);
                        int[] y = batch.stream().mapToInt(Sample::label).toArray();
                        return new NDList[] {inputs, new NDList(m.create(y))};
                    }), epoch, batches);
                    batches++;
                    steps++;
                }
                epochLoss.add(loss.mean());
                LOG.info("classifier epoch {}: loss {}", epoch + 1, String.format("%.4f", loss.mean()));
            }
            double accuracy = accuracy(block, validation, padId);
            LOG.info("classifier validation accuracy {}", String.format("%.4f", accuracy));
            Weights.save(block, weightsFile);
            return new TrainingReport(epochLoss, accuracy, steps, System.currentTimeMillis() - start);
        }
    }

    /** Fraction of samples whose arg-max prediction equals the label (inference mode). */
    public static double accuracy(EncoderClassifier block, List<Sample> samples, long padId) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        int correct = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int from = 0; from < samples.size(); from += 64) {
                List<Sample> batch = samples.subList(from, Math.min(samples.size(), from + 64));
                try (NDManager sub = m.newSubManager()) {
                    NDArray logits = block.forward(new ParameterStore(sub, false), inputs(sub, batch, padId), false)
                            .singletonOrThrow();
                    long[] predicted = logits.argMax(-1).toLongArray();
                    for (int i = 0; i < batch.size(); i++) {
                        if (predicted[i] == batch.get(i).label()) {
                            correct++;
                        }
                    }
                }
            }
        }
        return (double) correct / samples.size();
    }

    static NDList inputs(NDManager m, List<Sample> batch, long padId) {
        int longest = batch.stream().mapToInt(s -> s.ids().length).max().orElse(1);
        long[] ids = new long[batch.size() * longest];
        float[] keep = new float[batch.size() * longest];
        for (int b = 0; b < batch.size(); b++) {
            long[] e = batch.get(b).ids();
            for (int t = 0; t < longest; t++) {
                ids[b * longest + t] = t < e.length ? e[t] : padId;
                keep[b * longest + t] = t < e.length ? 1f : 0f;
            }
        }
        Shape shape = new Shape(batch.size(), longest);
        return new NDList(m.create(ids, shape), m.create(keep, shape));
    }
}
