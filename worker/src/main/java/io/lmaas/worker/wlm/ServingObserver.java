package io.lmaas.worker.wlm;

/** What the serving core reports for metrics: batch sizes, tokens produced, rejections, latencies. */
public interface ServingObserver {
    ServingObserver NONE = new ServingObserver() {
    };

    default void batch(int size) {
    }

    default void tokens(int count) {
    }

    default void rejected() {
    }

    default void queued(int depth) {
    }

    /** A request finished; {@code firstNanos} is the time to its first token (generation) or result. */
    default void finished(long totalNanos, long firstNanos) {
    }
}
