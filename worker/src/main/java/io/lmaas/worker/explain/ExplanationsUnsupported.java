package io.lmaas.worker.explain;

/** A served model that cannot explain its classifications (a TorchScript module: its embeddings are inside the graph). */
public final class ExplanationsUnsupported extends RuntimeException {
    public ExplanationsUnsupported() {
        super("this model does not explain its classifications (a TorchScript module's embeddings cannot be replaced)");
    }
}
