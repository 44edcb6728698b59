package io.lmaas.worker.runtime;

import java.util.List;

/**
 * A model served by dynamic batching (classifiers, embedders): it tokenises one input, and answers one forward pass
 * of already tokenised inputs.
 *
 * @param <R> one input's answer
 */
public interface BatchedModel<R> {

    /**
     * Tokenises {@code text}. An empty input is refused (IllegalArgumentException); one longer than the model takes is
     * refused with {@link InputTooLong} unless {@code truncate}, which cuts it as the model's tokenizer would.
     */
    Encoded encode(String text, boolean truncate);

    /** One forward pass; answers in input order. */
    List<R> run(List<Encoded> inputs);
}
