package io.lmaas.worker.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A fine-tuning listener that keeps each epoch's metrics and checkpoint (the trainer tests read them). */
record Recorded(List<FineTuning.Metrics> epochs, List<Path> checkpoints) implements FineTuning.Listener {
    Recorded() {
        this(new ArrayList<>(), new ArrayList<>());
    }

    @Override
    public void step(int epoch, int step, double loss) {
    }

    @Override
    public void epoch(int epoch, int step, FineTuning.Metrics metrics, Path checkpoint) {
        epochs.add(metrics);
        checkpoints.add(checkpoint);
    }
}
