package io.lmaas.worker.serve;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Inference threads with a bounded queue in front: {@code submit} returns a future, and a full queue
 * fails it at once with {@link CapacityException}. No HTTP in here.
 */
public final class InferencePool implements AutoCloseable {
    private final ThreadPoolExecutor executor;

    public InferencePool(int threads, int queueCapacity) {
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity), r -> {
                    Thread t = new Thread(r, "inference-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    public <T> CompletableFuture<T> submit(Callable<T> job) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    result.complete(job.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new CapacityException(
                    "inference queue is full (" + executor.getQueue().size() + " waiting)"));
        }
        return result;
    }

    public int queueDepth() {
        return executor.getQueue().size();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
