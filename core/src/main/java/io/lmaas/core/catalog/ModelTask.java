package io.lmaas.core.catalog;

import java.util.Arrays;
import java.util.Optional;

/** What a model does; the wire name is the Hugging Face task name. */
public enum ModelTask {
    TEXT_CLASSIFICATION("text-classification"),
    TEXT_GENERATION("text-generation"),
    /** Sentence embeddings ({@code /v1/embeddings}). */
    FEATURE_EXTRACTION("feature-extraction");

    private final String wireName;

    ModelTask(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<ModelTask> fromWire(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }
}
