package io.lmaas.worker.wlm;

import io.lmaas.worker.runtime.BatchedModel;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.Inputs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dynamic batching for an encoder (classification or embeddings): inputs of concurrent requests are gathered into
 * batches of up to {@code maxBatchSize}, waiting at most {@code maxBatchDelay} for a batch to fill (only while requests
 * are arriving together: a lone request is not held back), split into forward passes of similar length
 * ({@link LengthBuckets}), and run by {@code threads} inference threads sharing the model (each forward in its own
 * NDManager): a batch's passes are shared out, so an idle thread takes the next pass of a batch another thread gathered.
 * A bounded queue rejects at once with {@link CapacityException}. No HTTP in here.
 *
 * @param <R> one input's answer
 */
public final class DynamicBatcher<R> implements AutoCloseable {

    /** Batching settings: from the model's serving.properties, overridable per worker. */
    public record Settings(int maxBatchSize, Duration maxBatchDelay, int queueCapacity, int threads, int maxPassTokens) {
        public Settings {
            if (maxBatchSize < 1 || threads < 1 || queueCapacity < 1 || maxPassTokens < 1 || maxBatchDelay.isNegative()) {
                throw new IllegalArgumentException("batch size, threads, queue capacity and tokens per pass must be positive");
            }
        }

        /** The default token budget per forward pass. */
        public Settings(int maxBatchSize, Duration maxBatchDelay, int queueCapacity, int threads) {
            this(maxBatchSize, maxBatchDelay, queueCapacity, threads, LengthBuckets.DEFAULT_MAX_PASS_TOKENS);
        }
    }

    /** One input of one request. */
    private record Item<R>(Encoded input, CompletableFuture<R> result, long enqueuedNanos) {
    }

    private final BatchedModel<R> model;
    private final Settings settings;
    private final ServingObserver observer;
    private final LinkedBlockingQueue<Item<R>> queue = new LinkedBlockingQueue<>();
    /**
     * Passes of a gathered batch not yet started: the next thread free takes them before gathering again, so with
     * several inference threads one batch's passes run side by side instead of one after another.
     */
    private final ConcurrentLinkedQueue<List<Item<R>>> planned = new ConcurrentLinkedQueue<>();
    /** Put on the queue when a pass is planned, to wake an inference thread waiting there; never answered. */
    private final Item<R> wake = new Item<>(null, null, 0);
    private final AtomicInteger queued = new AtomicInteger();
    /** Inputs taken from the queue and not yet answered (in a pass running or planned). */
    private final AtomicInteger running = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    /** Completes results (waking the callers) so the inference threads go straight on to the next batch. */
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "batch-delivery");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean accepting = true;
    private volatile boolean stopped;
    /** Size of the latest batch: waiting for a batch to fill only pays when requests are arriving together. */
    private volatile int lastBatch;

    public DynamicBatcher(BatchedModel<R> model, Settings settings, ServingObserver observer) {
        this.model = model;
        this.settings = settings;
        this.observer = observer;
        for (int i = 0; i < settings.threads(); i++) {
            Thread t = new Thread(this::run, "batch-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /** Answers the texts of one request, each tokenised (on the caller's thread) without truncation. */
    public CompletableFuture<List<R>> submit(List<String> texts) {
        return submit(texts, false);
    }

    /**
     * Answers the texts of one request; an input the model refuses (empty, too long) fails the request with the
     * model's IllegalArgumentException, naming the input by its index.
     */
    public CompletableFuture<List<R>> submit(List<String> texts, boolean truncate) {
        List<Encoded> encoded;
        try {
            encoded = Inputs.encode(texts, text -> model.encode(text, truncate));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return submitEncoded(encoded);
    }

    /** Answers inputs already tokenised; fails at once with {@link CapacityException} when full or draining. */
    public CompletableFuture<List<R>> submitEncoded(List<Encoded> inputs) {
        if (!accepting) {
            observer.rejected();
            return CompletableFuture.failedFuture(new CapacityException("the worker is draining"));
        }
        if (queued.addAndGet(inputs.size()) > settings.queueCapacity()) {
            queued.addAndGet(-inputs.size());
            observer.rejected();
            return CompletableFuture.failedFuture(new CapacityException(
                    "the queue is full (" + settings.queueCapacity() + " inputs waiting)"));
        }
        long now = System.nanoTime();
        List<CompletableFuture<R>> parts = new ArrayList<>(inputs.size());
        for (Encoded input : inputs) {
            Item<R> item = new Item<>(input, new CompletableFuture<>(), now);
            parts.add(item.result());
            queue.add(item);
        }
        observer.queued(queued.get());
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0])).thenApply(v -> {
            List<R> out = new ArrayList<>(parts.size());
            parts.forEach(p -> out.add(p.join()));
            observer.finished(System.nanoTime() - now, System.nanoTime() - now);
            return out;
        });
    }

    /** The model the batches run on. */
    public BatchedModel<R> model() {
        return model;
    }

    public int queueDepth() {
        return queued.get();
    }

    private void run() {
        List<Item<R>> batch = new ArrayList<>(settings.maxBatchSize());
        while (!stopped) {
            try {
                List<Item<R>> pass = planned.poll();
                if (pass == null) {
                    gather(batch);
                    if (batch.isEmpty()) {
                        continue;
                    }
                    pass = plan(batch);
                }
                runPass(pass);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Takes the next batch from the queue into {@code batch}: up to {@code maxBatchSize} inputs, waiting up to
     * {@code maxBatchDelay} for it to fill while requests arrive together; empty when nothing came within 100 ms.
     */
    private void gather(List<Item<R>> batch) throws InterruptedException {
        Item<R> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null || first == wake) {
            return;
        }
        batch.add(first);
        long deadline = System.nanoTime() + settings.maxBatchDelay().toNanos();
        while (batch.size() < settings.maxBatchSize()) {
            Item<R> next = queue.poll();
            if (next == null) {
                long left = deadline - System.nanoTime();
                // A lone request (nothing queued, the last batch a single input) is not held back.
                if (left <= 0 || (batch.size() == 1 && lastBatch <= 1)
                        || (next = queue.poll(left, TimeUnit.NANOSECONDS)) == null) {
                    break;
                }
            }
            if (next != wake) {
                batch.add(next);
            }
        }
        lastBatch = batch.size();
        running.addAndGet(batch.size()); // before they leave the queue's count: a drain never sees them in neither
        queued.addAndGet(-batch.size());
        observer.batch(batch.size());
    }

    /**
     * Splits a gathered batch into forward passes of similar length ({@link LengthBuckets}) and returns the first; the
     * others wait in {@link #planned}, where this thread or an idle one takes them next.
     */
    private List<Item<R>> plan(List<Item<R>> batch) {
        int[] lengths = batch.stream().mapToInt(item -> item.input().length()).toArray();
        List<int[]> groups = LengthBuckets.plan(lengths, LengthBuckets.DEFAULT_OVERHEAD_TOKENS, settings.maxPassTokens());
        List<Item<R>> first = null;
        for (int[] group : groups) {
            List<Item<R>> pass = new ArrayList<>(group.length);
            for (int i : group) {
                pass.add(batch.get(i));
            }
            if (first == null) {
                first = pass;
            } else {
                planned.add(pass);
                if (settings.threads() > 1) {
                    queue.offer(wake);
                }
            }
        }
        return first;
    }

    /** Runs one forward pass; delivers its answers off the inference thread. */
    private void runPass(List<Item<R>> pass) {
        try {
            List<R> results = model.run(pass.stream().map(Item::input).toList());
            delivery.execute(() -> {
                for (int i = 0; i < pass.size(); i++) {
                    pass.get(i).result().complete(results.get(i));
                }
            });
            observer.tokens(pass.stream().mapToInt(item -> item.input().tokens()).sum());
        } catch (RuntimeException e) {
            pass.forEach(item -> item.result().completeExceptionally(e));
        } finally {
            running.addAndGet(-pass.size());
        }
    }

    /** Stops taking work and waits (bounded) for queued inputs to be answered. */
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
        Item<R> item;
        while ((item = queue.poll()) != null) {
            if (item != wake) {
                item.result().completeExceptionally(new CapacityException("the worker stopped"));
            }
        }
        List<Item<R>> pass;
        while ((pass = planned.poll()) != null) {
            pass.forEach(i -> i.result().completeExceptionally(new CapacityException("the worker stopped")));
        }
    }
}
