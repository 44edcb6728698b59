package io.lmaas.worker.runtime;

import java.util.Map;

/** The classifier's answer for one input: best label, its probability, every label's probability. */
public record Classification(String label, double score, Map<String, Double> scores, int tokens) {
}
