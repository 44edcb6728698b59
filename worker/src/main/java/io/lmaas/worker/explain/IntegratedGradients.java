package io.lmaas.worker.explain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;

/**
 * Why a classifier chose its label, token by token: integrated gradients over the input's word embeddings
 * (Sundararajan et al., 2017). The baseline is all-zero word embeddings (positions and token types stay as they are);
 * f is the softmax probability of the label predicted for the input; a token's attribution is the sum over the hidden
 * size of its embedding times the mean gradient of f along the straight path from the baseline, sampled at the
 * midpoints {@code (k + 0.5) / steps}. The attributions then add up to f(input) - f(baseline), up to the sampling
 * error, which is reported as the gap. The scaled copies go through the model in passes of at most
 * {@link #PASS_TOKENS} tokens (rows × tokens), each with one backward pass: memory is bounded by the pass, not by steps.
 * Same definition as the Python reference ({@code src/test/python/make_explanation_fixtures.py}).
 */
public final class IntegratedGradients {
    /** Scaled copies × tokens per forward and backward pass. */
    static final int PASS_TOKENS = 1024;

    /** The predicted label, its probability, one attribution per token, the completeness gap, the steps taken. */
    public record Explanation(int label, float score, float[] attributions, float gap, int steps) {
    }

    private IntegratedGradients() {
    }

    /** Explains one input of a BERT-family classifier ({@code typeIds} may be null); arrays live in a sub-manager of {@code parent}. */
    public static Explanation explain(BertFamilyEncoder encoder, NDManager parent, long[] ids, long[] typeIds, int steps) {
        return explain(ExplainableClassifier.of(encoder, ids, typeIds), parent, ids.length, steps);
    }

    /** Explains the input {@code model} stands for ({@code tokens} long); arrays live in a sub-manager of {@code parent}. */
    public static Explanation explain(ExplainableClassifier model, NDManager parent, int tokens, int steps) {
        if (steps < 1 || tokens == 0) {
            throw new IllegalArgumentException("steps and tokens must be positive");
        }
        try (NDManager m = parent.newSubManager()) {
            NDArray x = model.wordEmbeddings(m); // [tokens, hidden]
            float[] probabilities = model.logits(m, x.expandDims(0)).softmax(-1).toFloatArray();
            int label = 0;
            for (int c = 1; c < probabilities.length; c++) {
                label = probabilities[c] > probabilities[label] ? c : label;
            }
            float atBaseline = model.logits(m, m.zeros(x.getShape()).expandDims(0)).softmax(-1).toFloatArray()[label];
            int perPass = Math.max(1, PASS_TOKENS / tokens);
            NDArray gradientSum = m.zeros(x.getShape());
            for (int start = 0; start < steps; start += perPass) {
                int n = Math.min(perPass, steps - start);
                float[] alphas = new float[n];
                for (int k = 0; k < n; k++) {
                    alphas[k] = (start + k + 0.5f) / steps;
                }
                // Each pass's activations are freed with it: memory is bounded by one pass, whatever the steps.
                try (NDManager pass = m.newSubManager()) {
                    gradientSum.addi(gradients(model, pass, x, pass.create(alphas, new Shape(n, 1, 1)), label));
                }
            }
            float[] attributions = x.mul(gradientSum.div(steps)).sum(new int[] {1}).toFloatArray();
            float total = 0;
            for (float a : attributions) {
                total += a;
            }
            return new Explanation(label, probabilities[label], attributions, total - (probabilities[label] - atBaseline), steps);
        }
    }

    /** The sum over the pass's rows of d f_label / d words at {@code alphas × x}: {@code [tokens, hidden]}, in {@code m}. */
    private static NDArray gradients(ExplainableClassifier model, NDManager m, NDArray x, NDArray alphas, int label) {
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray scaled = alphas.mul(x.expandDims(0)); // a leaf: nothing before it asks for gradients
            scaled.setRequiresGradient(true);
            NDArray f = model.logits(m, scaled).softmax(-1).get(new NDIndex(":, {}", label));
            collector.backward(f.sum());
            return scaled.getGradient().sum(new int[] {0}).duplicate();
        }
    }
}
