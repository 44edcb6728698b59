package io.lmaas.deploy.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/** Closed-loop clients in the benchmark's process, and the fp32 matmul peak the benches compare FLOP/s with. */
final class ClosedLoops {
    private ClosedLoops() {
    }

    /** One call of a client: the future completes when the answer is in. */
    @FunctionalInterface
    interface ClosedLoop {
        CompletableFuture<?> call(int i) throws Exception;
    }

    /** {@code clients} threads each calling and waiting, for {@code d}; returns every call's latency (ns). */
    static long[] run(int clients, Duration d, ClosedLoop call) throws Exception {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + d.toNanos();
        CountDownLatch done = new CountDownLatch(clients);
        AtomicLong counter = new AtomicLong();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        call.call((int) counter.getAndIncrement()).get();
                        latencies.add(System.nanoTime() - t0);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    done.countDown();
                }
            }, "bench-client-" + c);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        return latencies.stream().mapToLong(Long::longValue).toArray();
    }

    /** {@link #run} for measurements that cannot throw checked exceptions. */
    static long[] runOrThrow(int clients, Duration d, ClosedLoop call) {
        try {
            return run(clients, d, call);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** FLOP/s of multiplying two 1024 x 1024 fp32 matrices in libtorch, repeated for {@code d} (at most 5 s). */
    static double matmulPeak(Duration d) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = m.randomUniform(-1, 1, new Shape(1024, 1024));
            NDArray b = m.randomUniform(-1, 1, new Shape(1024, 1024));
            for (int i = 0; i < 3; i++) {
                a.matMul(b).close();
            }
            long n = 0;
            long start = System.nanoTime();
            long end = start + Math.min(d.toNanos(), 5_000_000_000L);
            while (System.nanoTime() < end) {
                a.matMul(b).close();
                n++;
            }
            return n * 2.0 * 1024 * 1024 * 1024 / ((System.nanoTime() - start) / 1e9);
        }
    }
}
