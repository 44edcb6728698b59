package io.lmaas.worker.nn;

/** Size of a built-in Transformer: vocabulary, width, attention heads, layers, longest sequence. */
public record TransformerSpec(int vocabSize, int dModel, int heads, int layers, int maxLength) {

    public TransformerSpec {
        if (vocabSize <= 0 || dModel <= 0 || heads <= 0 || layers <= 0 || maxLength <= 0) {
            throw new IllegalArgumentException("all sizes must be positive: " + this);
        }
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("d_model " + dModel + " is not divisible by heads " + heads);
        }
    }

    public int ffnSize() {
        return 4 * dModel;
    }
}
