package io.lmaas.worker.training;

import java.util.List;

/** What a training run achieved: loss per epoch, validation accuracy (classifiers), steps and time. */
public record TrainingReport(List<Double> epochLoss, double validationAccuracy, int steps, long millis) {
}
