package io.lmaas.worker.wlm;

import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.InputTooLong;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.tokenizer.StreamDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** One generation in the engine: its window, the tokens it produced, the text it has streamed. */
final class Sequence {
    final GenerationRequest request;
    final GenerationEngine.Listener listener;
    final BooleanSupplier cancelled;
    final CompletableFuture<Generation> result = new CompletableFuture<>();
    final long submittedNanos = System.nanoTime();
    private final SplittableRandom random;
    private final StopMatcher stops;
    private GeneratorRuntime runtime;
    private StreamDecoder.Stream text;
    private List<Long> window;
    private int count;
    private int promptTokens;
    private int emitted;
    private int unreported;
    long pending;
    long firstTokenNanos;

    /** The LoRA adapter it runs with, or null; its slot once admitted (0: none). */
    final AdapterRef adapter;
    int slot;

    Sequence(GenerationRequest request, GenerationEngine.Listener listener, BooleanSupplier cancelled, AdapterRef adapter) {
        this.request = request;
        this.adapter = adapter;
        this.listener = listener;
        this.cancelled = cancelled;
        this.random = new SplittableRandom(request.seed());
        this.stops = new StopMatcher(request.stop());
    }

    /**
     * Tokenises the prompt, prefills a cache with its window and takes the first token. Returns the cache
     * to join the batch with, or null if the sequence already ended.
     */
    KvCache start(GeneratorRuntime rt, StreamDecoder decoder) {
        this.runtime = rt;
        this.text = decoder.start();
        long[] prompt = rt.tokenizer().encode(request.prompt());
        if (!rt.slidesWindow() && prompt.length >= rt.maxLength()) {
            // A context that does not slide refuses a prompt that leaves no room (before anything is streamed).
            throw InputTooLong.prompt(prompt.length, rt.maxLength());
        }
        promptTokens = prompt.length;
        listener.started(promptTokens);
        long[] first = prompt.length == 0 ? new long[] {rt.startToken()}
                : Arrays.copyOfRange(prompt, Math.max(0, prompt.length - (rt.maxLength() - 1)), prompt.length);
        window = new ArrayList<>(rt.maxLength());
        for (long t : first) {
            window.add(t);
        }
        KvCache cache = rt.newCache();
        if (accept(rt.prefill(cache, first, slot))) {
            return cache;
        }
        cache.close();
        return null;
    }

    /** The window is full (learned positions end at the model's length): a new cache with its newest half. */
    KvCache rewindow() {
        window = new ArrayList<>(window.subList(window.size() - runtime.maxLength() / 2, window.size()));
        KvCache cache = runtime.newCache();
        runtime.prefill(cache, window.stream().mapToLong(Long::longValue).toArray());
        return cache;
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
        if (runtime.isEos(token)) {
            return finish("stop", -1);
        }
        count++;
        unreported++;
        String sofar = text.add(token);
        int stop = stops.find(sofar, Math.max(0, emitted - stops.longest()));
        if (stop >= 0) {
            return finish("stop", stop);
        }
        if (count >= request.maxTokens()) {
            return finish("length", -1);
        }
        int safe = stops.safeLength(sofar);
        if (safe > emitted) {
            listener.delta(sofar.substring(emitted, safe), unreported);
            emitted = safe;
            unreported = 0;
        }
        pending = token;
        return true;
    }

    boolean finish(String reason, int cut) {
        String all = text.finish();
        if (cut >= 0) {
            all = all.substring(0, cut);
        }
        if (all.length() > emitted || unreported > 0) {
            listener.delta(all.substring(Math.min(emitted, all.length())), unreported);
        }
        result.complete(new Generation(all, reason, promptTokens, count));
        return false;
    }

    void fail(Throwable e) {
        result.completeExceptionally(e);
    }
}
