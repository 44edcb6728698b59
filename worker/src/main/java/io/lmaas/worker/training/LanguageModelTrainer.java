package io.lmaas.worker.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.modeldir.Weights;
import io.lmaas.worker.nn.DecoderLm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Trains a {@link DecoderLm} on a token stream with next-token prediction over random windows. */
public final class LanguageModelTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(LanguageModelTrainer.class);

    private LanguageModelTrainer() {
    }

    /**
     * {@code options.epochs()} passes, each of {@code tokens.length / (batch * window)} steps (at least
     * one) over windows drawn at random offsets; the weights are written to {@code weightsFile}.
     */
    public static TrainingReport train(DecoderLm block, long[] tokens, TrainingOptions options, Path weightsFile)
            throws IOException {
        long start = System.currentTimeMillis();
        int window = block.spec().maxLength();
        if (tokens.length < window + 2) {
            throw new IllegalArgumentException("corpus of " + tokens.length + " tokens is shorter than one window");
        }
        int batch = options.batchSize();
        int stepsPerEpoch = Math.max(1, tokens.length / (batch * window));
        Random random = new Random(options.seed());
        List<Double> epochLoss = new ArrayList<>();
        int steps = 0;
        try (Trainers.Session session = Trainers.open("language-model", block, options, new Shape(batch, window))) {
            for (int epoch = 0; epoch < options.epochs(); epoch++) {
                Trainers.EpochLoss loss = new Trainers.EpochLoss();
                for (int s = 0; s < stepsPerEpoch; s++) {
                    long[] x = new long[batch * window];
                    long[] y = new long[batch * window];
                    for (int b = 0; b < batch; b++) {
                        int offset = random.nextInt(tokens.length - window - 1);
                        System.arraycopy(tokens, offset, x, b * window, window);
                        System.arraycopy(tokens, offset + 1, y, b * window, window);
                    }
                    loss.add(session.step(m -> new NDList[] {
                        new NDList(m.create(x, new Shape(batch, window))),
                        new NDList(m.create(y, new Shape(batch, window)))}), epoch, s);
                    steps++;
                }
                epochLoss.add(loss.mean());
                LOG.info("language model epoch {}: loss {}", epoch + 1, String.format("%.4f", loss.mean()));
            }
            Weights.save(block, weightsFile);
            return new TrainingReport(epochLoss, Double.NaN, steps, System.currentTimeMillis() - start);
        }
    }
}
