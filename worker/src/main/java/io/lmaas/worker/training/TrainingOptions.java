package io.lmaas.worker.training;

/** Hyperparameters of one training run. */
public record TrainingOptions(int epochs, int batchSize, float learningRate, long seed) {

    public TrainingOptions {
        if (epochs < 1 || batchSize < 1 || !(learningRate > 0)) {
            throw new IllegalArgumentException("epochs, batch size and learning rate must be positive");
        }
    }
}
