package io.lmaas.worker.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The classifier's answer for one input: best label, its probability, every label's probability. */
public record Classification(String label, double score, Map<String, Double> scores, int tokens) {

    /** Softmax over each row of {@code logits}; labels in the model's order. */
    static List<Classification> fromLogits(float[][] logits, List<String> labels, List<Encoded> inputs) {
        List<Classification> out = new ArrayList<>(logits.length);
        for (int b = 0; b < logits.length; b++) {
            out.add(of(logits[b], labels, inputs.get(b).tokens()));
        }
        return out;
    }

    /** Softmax over one input's {@code logits}; labels in the head's order. */
    static Classification of(float[] logits, List<String> labels, int tokens) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[labels.size()];
        double total = 0;
        for (int c = 0; c < p.length; c++) {
            p[c] = Math.exp(logits[c] - max);
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
        return new Classification(labels.get(best), p[best] / total, scores, tokens);
    }
}
