package io.lmaas.worker.explain;

/** A served classifier that can explain its labels ({@link IntegratedGradients}). */
public interface Explaining {

    /** Why the model labels {@code text} as it does, per token, integrating over {@code steps} points. */
    Explained explain(String text, boolean truncate, int steps);

    /** The tokens {@code text} has (before any truncation). */
    int countTokens(String text);

    /** The most tokens one input runs on. */
    int maxTokens();
}
