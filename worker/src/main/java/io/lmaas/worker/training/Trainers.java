package io.lmaas.worker.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import java.util.function.Function;

/** The optimisation loop the built-in architectures share: Adam, clipped gradients, seeded. */
final class Trainers {
    private Trainers() {
    }

    /** A model + trainer pair around {@code block}, its parameters initialised for {@code inputShapes}. */
    record Session(Model model, Trainer trainer) implements AutoCloseable {
        /** One optimisation step; {@code batch} builds (inputs, labels) in the step's own manager. Returns the loss. */
        float step(Function<NDManager, NDList[]> batch) {
            try (NDManager m = trainer.getManager().newSubManager()) {
                NDList[] io = batch.apply(m);
                float loss;
                try (GradientCollector gc = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(io[0]).singletonOrThrow();
                    long classes = logits.getShape().get(logits.getShape().dimension() - 1);
                    NDArray flat = logits.reshape(-1, classes);
                    NDArray value = trainer.getLoss().evaluate(new NDList(io[1].singletonOrThrow().reshape(-1)), new NDList(flat));
                    loss = value.getFloat();
                    if (!Float.isFinite(loss)) {
                        // Never let one bad batch poison the weights: no update from it.
                        return loss;
                    }
                    gc.backward(value);
                }
                if (!gradientsFinite(m)) {
                    // A finite loss can still give an overflowing gradient: never let it reach the weights.
                    zeroGradients();
                    return Float.NaN;
                }
                trainer.step();
                return loss;
            }
        }

        private boolean gradientsFinite(NDManager m) {
            for (var p : trainer.getModel().getBlock().getParameters()) {
                NDArray w = p.getValue().getArray();
                if (w.hasGradient()) {
                    NDArray g = w.getGradient();
                    g.attach(m);
                    if (!Float.isFinite(g.abs().max().getFloat())) {
                        return false;
                    }
                }
            }
            return true;
        }

        private void zeroGradients() {
            for (var p : trainer.getModel().getBlock().getParameters()) {
                NDArray w = p.getValue().getArray();
                if (w.hasGradient()) {
                    try (NDArray g = w.getGradient()) {
                        Gradients.clear(g);
                    }
                }
            }
        }

        @Override
        public void close() {
            trainer.close();
            model.close();
        }
    }

    /** Averages an epoch's losses, leaving out (and reporting) non-finite ones, whose batches made no update. */
    static final class EpochLoss {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EpochLoss.class);
        private double sum;
        private int finite;
        private int skipped;

        void add(float loss, int epoch, int step) {
            if (Float.isFinite(loss)) {
                sum += loss;
                finite++;
            } else {
                skipped++;
                LOG.warn("non-finite loss at epoch {} step {}: batch skipped", epoch + 1, step);
            }
        }

        /** The mean finite loss; fails the run if too many batches were skipped to trust it. */
        double mean() {
            if (finite == 0 || skipped > Math.max(2, (finite + skipped) / 10)) {
                throw new IllegalStateException("training diverged: " + skipped + " of " + (finite + skipped)
                        + " batches gave a non-finite loss");
            }
            return sum / finite;
        }
    }

    static Session open(String name, Block block, TrainingOptions options, ai.djl.ndarray.types.Shape... inputShapes) {
        Engine.getEngine("PyTorch").setRandomSeed((int) options.seed());
        Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
        model.setBlock(block);
        Loss loss = new SoftmaxCrossEntropyLoss("loss", 1f, -1, true, true);
        DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                .optOptimizer(Adam.builder().optLearningRateTracker(Tracker.fixed(options.learningRate())).optClipGrad(1f).build());
        Trainer trainer = model.newTrainer(config);
        trainer.initialize(inputShapes);
        return new Session(model, trainer);
    }
}
