package io.lmaas.worker.wlm;

import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.tokenizer.StreamDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching for a generator: one decode loop runs every active sequence one token per step;
 * new sequences join between steps (after their prefill) and finished ones leave, up to
 * {@code maxBatch} at once. A bounded queue in front rejects at once with {@link CapacityException}.
 * No HTTP in here: {@link #submit} returns a future and streams through a {@link Listener}.
 */
public final class GenerationEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationEngine.class);

    /** Hears a generation as it happens (on the engine's thread). */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** The prompt is tokenised; generation starts. */
        default void started(int promptTokens) {
        }

        /** New text, and how many generated tokens it covers (text is held back while incomplete). */
        default void delta(String text, int tokens) {
        }
    }

    private final GeneratorRuntime runtime;
    private final int maxBatch;
    private final int queueCapacity;
    private final ServingObserver observer;
    private final LinkedBlockingQueue<Sequence> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();
    /** The running sequences, row i of {@link #batch} being sequence i. */
    private final List<Sequence> active = new ArrayList<>();
    private final DecodeBatch batch;
    private final StreamDecoder decoder;
    private final Thread loop;
    private volatile boolean accepting = true;
    private volatile boolean running = true;
    private volatile int activeCount;
    /**
     * Sequences taken from the queue and not finished (running or deferred), set before a taken sequence leaves
     * {@link #waiting}: a drain never sees a sequence in neither.
     */
    private volatile int unfinished;
    /** The adapters held (null if the model serves none), and sequences waiting for an adapter slot to free. */
    private final AdapterSlots adapters;
    private final java.util.ArrayDeque<Sequence> deferred = new java.util.ArrayDeque<>();

    public GenerationEngine(GeneratorRuntime runtime, int maxBatch, int queueCapacity, ServingObserver observer) {
        this.runtime = runtime;
        this.maxBatch = maxBatch;
        this.queueCapacity = queueCapacity;
        this.observer = observer;
        this.batch = runtime.newBatch();
        this.adapters = runtime.adapters() == null ? null : new AdapterSlots(runtime.adapters());
        this.decoder = runtime.streamDecoder();
        this.loop = new Thread(this::run, "generation-engine");
        this.loop.setDaemon(true);
        this.loop.start();
    }

    public CompletableFuture<Generation> submit(GenerationRequest request) {
        return submit(request, Listener.NONE, () -> false);
    }

    /** Queues a generation; fails at once with {@link CapacityException} when the queue is full or draining. */
    public CompletableFuture<Generation> submit(GenerationRequest request, Listener listener, BooleanSupplier cancelled) {
        return submit(request, listener, cancelled, null);
    }

    /** The same, run with the LoRA adapter {@code adapter} (null: the bare model); refused at once if the model holds none. */
    public CompletableFuture<Generation> submit(GenerationRequest request, Listener listener, BooleanSupplier cancelled,
            AdapterRef adapter) {
        if (adapter != null && adapters == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("this model serves no adapters"));
        }
        Sequence s = new Sequence(request, listener, cancelled, adapter);
        if (!accepting) {
            observer.rejected();
            s.result.completeExceptionally(new CapacityException("the worker is draining"));
            return s.result;
        }
        if (waiting.incrementAndGet() > queueCapacity) {
            waiting.decrementAndGet();
            observer.rejected();
            s.result.completeExceptionally(new CapacityException("generation queue is full (" + queueCapacity + " waiting)"));
            return s.result;
        }
        queue.add(s);
        observer.queued(waiting.get());
        return s.result;
    }

    public int queueDepth() {
        return waiting.get();
    }

    public int activeSequences() {
        return activeCount;
    }

    private void run() {
        while (running) {
            try {
                if (active.isEmpty()) {
                    Sequence s = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (s != null) {
                        admit(s);
                    }
                }
                Sequence s;
                for (int n = deferred.size(); n > 0 && active.size() < maxBatch; n--) {
                    retry(deferred.poll());
                }
                while (active.size() < maxBatch && (s = queue.poll()) != null) {
                    admit(s);
                }
                if (!active.isEmpty()) {
                    step();
                }
                activeCount = active.size();
                unfinished = active.size() + deferred.size();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                LOG.error("decode step failed; failing its sequences", e);
                active.forEach(this::release);
                active.forEach(x -> x.fail(e));
                active.clear();
                runtime.retain(batch, new int[0]);
            }
        }
        active.forEach(x -> x.fail(new CapacityException("the worker stopped")));
        active.clear();
        deferred.forEach(x -> x.fail(new CapacityException("the worker stopped")));
        batch.close();
        Sequence s;
        while ((s = queue.poll()) != null) {
            s.fail(new CapacityException("the worker stopped"));
        }
    }

    private void admit(Sequence s) {
        retry(s);
        unfinished = active.size() + deferred.size();
        waiting.decrementAndGet();
    }

    /** Starts {@code s}, or defers it while every adapter slot is used by running sequences. */
    private void retry(Sequence s) {
        if (s.cancelled.getAsBoolean()) {
            s.fail(new CapacityException("cancelled before it started"));
            return;
        }
        if (s.adapter != null) {
            try {
                s.slot = adapters.acquire(s.adapter);
            } catch (RuntimeException e) {
                s.fail(e);
                return;
            }
            if (s.slot < 0) {
                s.slot = 0;
                deferred.add(s);
                return;
            }
        }
        try {
            KvCache cache = s.start(runtime, decoder);
            observer.tokens(1);
            if (cache == null) {
                done(s);
                return;
            }
            runtime.join(batch, cache);
            active.add(s);
        } catch (RuntimeException e) {
            release(s);
            s.fail(e);
        }
    }

    private void release(Sequence s) {
        if (s.slot > 0) {
            adapters.release(s.slot);
            s.slot = 0;
        }
    }

    /** The adapters the worker holds, least recently used first (empty if the model serves none). */
    public List<String> residentAdapters() {
        return adapters == null ? List.of() : adapters.names();
    }

    /** The adapters the worker keeps pinned (empty if the model serves none). */
    public List<String> pinnedAdapters() {
        return adapters == null ? List.of() : adapters.pinned();
    }

    /** One decode step for every running sequence; sequences that ended leave the batch. */
    private void step() {
        List<Integer> keep = new ArrayList<>(active.size());
        List<Sequence> full = new ArrayList<>();
        for (int i = 0; i < active.size(); i++) {
            Sequence s = active.get(i);
            if (s.cancelled.getAsBoolean()) {
                s.finish("cancelled", -1);
                done(s);
            } else if (!runtime.slidesWindow() && batch.rowLength(i) + 1 >= runtime.maxLength()) {
                // Prompt and generated tokens fill the context (the pending token is the last that fits): it ends there.
                s.finish("length", -1);
                done(s);
            } else if (batch.rowLength(i) >= runtime.maxLength()) {
                full.add(s);
            } else {
                keep.add(i);
            }
        }
        if (keep.size() != active.size()) {
            reorder(keep);
            for (Sequence s : full) {
                runtime.join(batch, s.rewindow());
                active.add(s);
            }
        }
        if (active.isEmpty()) {
            return;
        }
        long[] tokens = new long[active.size()];
        for (int i = 0; i < active.size(); i++) {
            tokens[i] = active.get(i).pending;
        }
        observer.batch(active.size());
        float[][] logits = runtime.step(batch, tokens);
        observer.tokens(active.size());
        List<Integer> alive = new ArrayList<>(active.size());
        for (int i = 0; i < active.size(); i++) {
            Sequence s = active.get(i);
            s.fed();
            if (s.accept(logits[i])) {
                alive.add(i);
            } else {
                done(s);
            }
        }
        if (alive.size() != active.size()) {
            reorder(alive);
        }
    }

    /** Keeps the given rows (ascending) and their sequences; holes are filled from the tail (fewest copies). */
    private void reorder(List<Integer> rows) {
        int[] order = GeneratorRuntime.fillFromTail(rows.stream().mapToInt(Integer::intValue).toArray());
        List<Sequence> kept = new ArrayList<>(order.length);
        for (int i : order) {
            kept.add(active.get(i));
        }
        runtime.retain(batch, order);
        active.clear();
        active.addAll(kept);
    }

    private void done(Sequence s) {
        release(s);
        long now = System.nanoTime();
        observer.finished(now - s.submittedNanos, s.firstTokenNanos == 0 ? now - s.submittedNanos
                : s.firstTokenNanos - s.submittedNanos);
    }

    /** Stops taking work and waits (bounded) for queued and running sequences to finish. */
    public boolean drain(Duration timeout) throws InterruptedException {
        accepting = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (queue.isEmpty() && waiting.get() == 0 && activeIsEmpty()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private boolean activeIsEmpty() {
        return unfinished == 0;
    }

    @Override
    public void close() {
        accepting = false;
        running = false;
        loop.interrupt();
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
