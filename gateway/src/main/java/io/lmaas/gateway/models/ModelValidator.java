package io.lmaas.gateway.models;

import io.lmaas.core.catalog.ModelTask;
import io.vertx.core.Future;
import java.nio.file.Path;

/**
 * Checks a model version directory before it is registered: it must load and run as a model of the
 * given task (files present, tokenizer fits, weights of the declared shapes). Fails with the reason, so
 * a bad version is a clear 400 rather than a worker crash loop. The distribution's implementation loads it
 * in a separate {@code lmaas worker validate} process; the other work on model files the gateway asks for (folding
 * an adapter into its base) runs in such a process too.
 */
@FunctionalInterface
public interface ModelValidator {

    /** Succeeds if the directory holds a servable version of {@code task}; fails with a readable reason otherwise. */
    Future<Void> validate(Path directory, ModelTask task);

    /** Succeeds if the directory holds a LoRA adapter (PEFT layout) that fits the base model in {@code baseDirectory}. */
    default Future<Void> validateAdapter(Path directory, Path baseDirectory) {
        return Future.failedFuture(new IllegalStateException("adapter validation is not available on this gateway"));
    }

    /** Writes into {@code out} the base in {@code baseDirectory} with the LoRA adapter in {@code directory} folded in. */
    default Future<Void> mergeAdapter(Path directory, Path baseDirectory, Path out) {
        return Future.failedFuture(new IllegalStateException("merging adapters is not available on this gateway"));
    }

    /** For gateways that cannot validate: registration is refused. */
    ModelValidator UNAVAILABLE = (directory, task) -> Future.failedFuture(
            new IllegalStateException("model validation is not available on this gateway"));
}
