package io.lmaas.worker.explain;

/** An explained classification: the label, its probability, the tokens and their attributions, the gap, the steps. */
public record Explained(String label, float score, String[] tokens, float[] attributions, float gap, int steps, int count) {

    /** An {@link IntegratedGradients.Explanation} with the label's name and the tokens' text. */
    public static Explained of(IntegratedGradients.Explanation e, java.util.List<String> labels, String[] tokens, int count) {
        return new Explained(labels.get(e.label()), e.score(), tokens, e.attributions(), e.gap(), e.steps(), count);
    }
}
