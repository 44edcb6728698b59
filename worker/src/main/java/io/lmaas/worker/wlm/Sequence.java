package io.lmaas.worker.wlm;

import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** One generation in the engine: its window and cache, the tokens it produced, what it has streamed. */
final class Sequence {
    final GenerationRequest request;
    final GenerationEngine.Listener listener;
    final BooleanSupplier cancelled;
    final CompletableFuture<Generation> result = new CompletableFuture<>();
    final long submittedNanos = System.nanoTime();
    private final SplittableRandom random;
    private final StopMatcher stops;
    private GeneratorRuntime runtime;
    KvCache cache;
    private List<Long> window;
    private long[] generated = new long[16];
    private int count;
    private int promptTokens;
    private int emitted;
    private int unreported;
    long pending;
    long firstTokenNanos;

    Sequence(GenerationRequest request, GenerationEngine.Listener listener, BooleanSupplier cancelled) {
        this.request = request;
        this.listener = listener;
        this.cancelled = cancelled;
        this.random = new SplittableRandom(request.seed());
        this.stops = new StopMatcher(request.stop());
    }

    /** Tokenises the prompt and prefills the cache; returns false if the sequence already ended. */
    boolean start(GeneratorRuntime rt) {
        this.runtime = rt;
        long[] prompt = rt.tokenizer().encode(request.prompt());
        promptTokens = prompt.length;
        listener.started(promptTokens);
        long[] first = prompt.length == 0 ? new long[] {rt.eosId()}
                : Arrays.copyOfRange(prompt, Math.max(0, prompt.length - (rt.maxLength() - 1)), prompt.length);
        window = new ArrayList<>(rt.maxLength());
        for (long t : first) {
            window.add(t);
        }
        cache = rt.newCache();
        return accept(rt.prefill(cache, first));
    }

    /** Before a step: a full cache keeps the newest half of its window (learned positions end at the model's length). */
    void makeRoom() {
        if (cache.length() < runtime.maxLength()) {
            return;
        }
        List<Long> keep = window.subList(window.size() - runtime.maxLength() / 2, window.size());
        window = new ArrayList<>(keep);
        runtime.prefill(cache, window.stream().mapToLong(Long::longValue).toArray());
    }

    /** After a step fed {@link #pending}: it is part of the window now. */
    void fed() {
        window.add(pending);
    }

    /** Takes the next token from {@code logits}; returns false when the sequence has ended (result completed). */
    boolean accept(float[] logits) {
        int token = Sampler.next(logits, request.temperature(), request.topK(), request.topP(), random);
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
        if (token == runtime.eosId()) {
            return finish("stop", -1);
        }
        if (count == generated.length) {
            generated = Arrays.copyOf(generated, count * 2);
        }
        generated[count++] = token;
        unreported++;
        String text = text();
        int stop = stops.find(text, Math.max(0, emitted - stops.longest()));
        if (stop >= 0) {
            return finish("stop", stop);
        }
        if (count >= request.maxTokens()) {
            return finish("length", -1);
        }
        int safe = stops.safeLength(text);
        if (safe > emitted && !text.endsWith("\uFFFD")) {
            listener.delta(text.substring(emitted, safe), unreported);
            emitted = safe;
            unreported = 0;
        }
        pending = token;
        return true;
    }

    boolean finish(String reason, int cut) {
        String text = text();
        if (cut >= 0) {
            text = text.substring(0, cut);
        }
        if (text.length() > emitted || unreported > 0) {
            listener.delta(text.substring(Math.min(emitted, text.length())), unreported);
        }
        close();
        result.complete(new Generation(text, reason, promptTokens, count));
        return false;
    }

    void fail(Throwable e) {
        close();
        result.completeExceptionally(e);
    }

    int generatedCount() {
        return count;
    }

    private String text() {
        return count == 0 ? "" : runtime.tokenizer().decode(Arrays.copyOf(generated, count));
    }

    private void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
