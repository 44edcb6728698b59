package io.lmaas.worker.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;

/**
 * What {@link IntegratedGradients} needs of a classifier: one input's word (token) embeddings, and the logits for
 * copies of that input whose word embeddings are given instead of looked up (everything else — positions, token
 * types, the mask — as for the input itself). Arrays are created in the manager given.
 */
public interface ExplainableClassifier {

    /** The word embeddings of the input: {@code [tokens, hidden]}. */
    NDArray wordEmbeddings(NDManager m);

    /** Logits {@code [rows, labels]} for {@code words} ({@code [rows, tokens, hidden]}), each row the input's. */
    NDArray logits(NDManager m, NDArray words);

    /** A Hugging Face BERT-family classifier on one input ({@code typeIds} may be null: all zero). */
    static ExplainableClassifier of(BertFamilyEncoder encoder, long[] ids, long[] typeIds) {
        return new ExplainableClassifier() {
            @Override
            public NDArray wordEmbeddings(NDManager m) {
                return encoder.wordEmbeddings(m, ids);
            }

            @Override
            public NDArray logits(NDManager m, NDArray words) {
                int rows = (int) words.getShape().get(0);
                return encoder.logits(encoder.hiddenStates(m, repeat(ids, rows), typeIds == null ? null : repeat(typeIds, rows),
                        words, false));
            }
        };
    }

    private static long[][] repeat(long[] row, int n) {
        long[][] out = new long[n][];
        java.util.Arrays.fill(out, row);
        return out;
    }
}
