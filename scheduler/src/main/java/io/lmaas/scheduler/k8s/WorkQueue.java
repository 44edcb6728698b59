package io.lmaas.scheduler.k8s;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * Keys to reconcile, as controllers keep them: a key queued several times is processed once; a key being
 * processed is not handed out again until it is done (then it runs once more if it was queued meanwhile);
 * a failed key comes back after an exponential backoff (100 ms doubling to 30 s), reset by a success.
 */
public final class WorkQueue {
    private static final long BASE_MS = 100;
    private static final long MAX_MS = 30_000;

    private record Item(String key, long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(dueNanos, ((Item) o).dueNanos);
        }
    }

    private final DelayQueue<Item> queue = new DelayQueue<>();
    private final Set<String> queued = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();

    public synchronized void add(String key) {
        addAfter(key, 0);
    }

    private synchronized void addAfter(String key, long delayMs) {
        if (processing.contains(key)) {
            dirty.add(key);
            return;
        }
        if (queued.add(key)) {
            queue.add(new Item(key, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs)));
        }
    }

    /** The next due key (waits up to {@code timeout}), or null. */
    public String take(Duration timeout) throws InterruptedException {
        Item item = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (item == null) {
            return null;
        }
        synchronized (this) {
            queued.remove(item.key());
            processing.add(item.key());
        }
        return item.key();
    }

    /** The key was reconciled: forget its failures; run it again if it was queued while running. */
    public synchronized void done(String key) {
        failures.remove(key);
        finish(key, 0);
    }

    /** The key failed: it comes back after its backoff. Returns that delay. */
    public synchronized Duration retry(String key) {
        int n = failures.merge(key, 1, Integer::sum);
        long delay = Math.min(MAX_MS, BASE_MS << Math.min(n - 1, 20));
        processing.remove(key);
        dirty.remove(key);
        addAfter(key, delay);
        return Duration.ofMillis(delay);
    }

    private void finish(String key, long delayMs) {
        processing.remove(key);
        if (dirty.remove(key)) {
            addAfter(key, delayMs);
        }
    }

    public synchronized int size() {
        return queued.size();
    }
}
