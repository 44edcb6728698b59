package io.lmaas.worker.wlm;

import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.ClassifierRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dynamic batching for a classifier: inputs of concurrent requests are gathered into batches of up to
 * {@code maxBatchSize}, waiting at most {@code maxBatchDelay} for a batch to fill (only while requests are
 * arriving together: a lone request is not held back), and run by
 * {@code threads} inference threads sharing the model (each forward in its own NDManager). A bounded
 * queue rejects at once with {@link CapacityException}. No HTTP in here.
 */
public final class ClassificationBatcher implements AutoCloseable {

    /** Batching settings: from the model's serving.properties, overridable per worker. */
    public record Settings(int maxBatchSize, Duration maxBatchDelay, int queueCapacity, int threads) {
        public Settings {
            if (maxBatchSize < 1 || threads < 1 || queueCapacity < 1 || maxBatchDelay.isNegative()) {
                throw new IllegalArgumentException("batch size, threads and queue capacity must be positive");
            }
        }
    }

    /** One input of one request. */
    private record Item(ClassifierRuntime.Encoded input, CompletableFuture<Classification> result, long enqueuedNanos) {
    }

    private final ClassifierRuntime runtime;
    private final Settings settings;
    private final ServingObserver observer;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    /** Completes results (waking the callers) so the inference threads go straight on to the next batch. */
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "classify-delivery");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean accepting = true;
    private volatile boolean stopped;
    /** Size of the latest batch: waiting for a batch to fill only pays when requests are arriving together. */
    private volatile int lastBatch;

    public ClassificationBatcher(ClassifierRuntime runtime, Settings settings, ServingObserver observer) {
        this.runtime = runtime;
        this.settings = settings;
        this.observer = observer;
        for (int i = 0; i < settings.threads(); i++) {
            Thread t = new Thread(this::run, "classify-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /** Classifies the inputs of one request; fails at once with {@link CapacityException} when full or draining. */
    public CompletableFuture<List<Classification>> submit(List<String> inputs) {
        if (!accepting) {
            observer.rejected();
            return CompletableFuture.failedFuture(new CapacityException("the worker is draining"));
        }
        if (queued.addAndGet(inputs.size()) > settings.queueCapacity()) {
            queued.addAndGet(-inputs.size());
            observer.rejected();
            return CompletableFuture.failedFuture(new CapacityException(
                    "classification queue is full (" + settings.queueCapacity() + " inputs waiting)"));
        }
        long now = System.nanoTime();
        List<CompletableFuture<Classification>> parts = new ArrayList<>(inputs.size());
        for (String text : inputs) {
            ClassifierRuntime.Encoded encoded;
            try {
                // Tokenised on the caller's thread: the inference threads only pad and run the network.
                encoded = runtime.encode(text);
            } catch (RuntimeException e) {
                queued.addAndGet(-1);
                parts.add(CompletableFuture.failedFuture(e));
                continue;
            }
            Item item = new Item(encoded, new CompletableFuture<>(), now);
            parts.add(item.result());
            queue.add(item);
        }
        observer.queued(queued.get());
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0])).thenApply(v -> {
            List<Classification> out = new ArrayList<>(parts.size());
            parts.forEach(p -> out.add(p.join()));
            observer.finished(System.nanoTime() - now, System.nanoTime() - now);
            return out;
        });
    }

    public int queueDepth() {
        return queued.get();
    }

    private void run() {
        List<Item> batch = new ArrayList<>(settings.maxBatchSize());
        while (!stopped) {
            try {
                Item first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                running.incrementAndGet();
                batch.add(first);
                long deadline = System.nanoTime() + settings.maxBatchDelay().toNanos();
                while (batch.size() < settings.maxBatchSize()) {
                    Item next = queue.poll();
                    if (next == null) {
                        long left = deadline - System.nanoTime();
                        // A lone request (nothing queued, the last batch a single input) is not held back.
                        if (left <= 0 || (batch.size() == 1 && lastBatch <= 1)
                                || (next = queue.poll(left, TimeUnit.NANOSECONDS)) == null) {
                            break;
                        }
                    }
                    batch.add(next);
                }
                lastBatch = batch.size();
                queued.addAndGet(-batch.size());
                runBatch(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                if (!batch.isEmpty()) {
                    running.decrementAndGet();
                }
                batch.clear();
            }
        }
    }

    private void runBatch(List<Item> batch) {
        observer.batch(batch.size());
        try {
            List<Classification> results = runtime.classifyEncoded(batch.stream().map(Item::input).toList());
            List<CompletableFuture<Classification>> waiting = batch.stream().map(Item::result).toList();
            delivery.execute(() -> {
                for (int i = 0; i < waiting.size(); i++) {
                    waiting.get(i).complete(results.get(i));
                }
            });
            observer.tokens(results.stream().mapToInt(Classification::tokens).sum());
        } catch (RuntimeException e) {
            batch.forEach(item -> item.result().completeExceptionally(e));
        }
    }

    /** Stops taking work and waits (bounded) for queued inputs to be classified. */
    public boolean drain(Duration timeout) throws InterruptedException {
        accepting = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (queued.get() == 0 && running.get() == 0) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Override
    public void close() {
        accepting = false;
        stopped = true;
        threads.forEach(Thread::interrupt);
        delivery.shutdown();
        Item item;
        while ((item = queue.poll()) != null) {
            item.result().completeExceptionally(new CapacityException("the worker stopped"));
        }
    }
}
