package io.lmaas.worker.runtime;

/** Generated text, why it ended ({@code stop} at end-of-text, {@code length} at max_tokens), token counts. */
public record Generation(String text, String finishReason, int promptTokens, int completionTokens) {
}
