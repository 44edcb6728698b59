package io.lmaas.worker.wlm;

import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.EncoderAdapters;
import io.lmaas.worker.runtime.Inputs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Classification with tenants' LoRA adapters on an encoder base: a request's adapter is found in (or loaded into) a slot
 * of the base's {@link EncoderAdapters} — on one loader thread, so no caller waits on a file read or on the lock a load
 * takes — and its inputs join the base's dynamic batches tagged with that slot, where rows of different adapters share
 * one forward pass. A slot is held from submission to the answer; when every slot is held by requests in flight the
 * request is refused at once ({@link CapacityException}: the gateway tries another replica). For a bare encoder (an
 * embedding model) the batcher is the adapters' own, made on first use.
 */
public final class AdaptedClassifier implements AutoCloseable {
    private final AdapterSlots slots;
    private final Supplier<DynamicBatcher<Classification>> make;
    private final boolean ownsBatcher;
    private final ExecutorService loader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "adapter-loader");
        t.setDaemon(true);
        return t;
    });
    private volatile DynamicBatcher<Classification> batcher;

    /** Adapters joining {@code batcher} (a classifier base's own batches). */
    AdaptedClassifier(EncoderAdapters adapters, DynamicBatcher<Classification> batcher) {
        this.slots = new AdapterSlots(adapters);
        this.batcher = batcher;
        this.make = null;
        this.ownsBatcher = false;
    }

    /** Adapters with batches of their own, made by {@code make} on first use (a bare encoder's). */
    AdaptedClassifier(EncoderAdapters adapters, Supplier<DynamicBatcher<Classification>> make) {
        this.slots = new AdapterSlots(adapters);
        this.make = make;
        this.ownsBatcher = true;
    }

    /** Classifies {@code texts} with the adapter {@code ref}; bad input and a misfit adapter fail with IllegalArgumentException. */
    public CompletableFuture<List<Classification>> submit(List<String> texts, boolean truncate, AdapterRef ref) {
        DynamicBatcher<Classification> b = batcher();
        List<Encoded> encoded;
        try {
            encoded = Inputs.encode(texts, text -> b.model().encode(text, truncate));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.supplyAsync(() -> {
            int slot = slots.acquire(ref);
            if (slot < 0) {
                throw new CapacityException("every adapter slot (" + slots.capacity() + ") is in use by requests in flight");
            }
            return slot;
        }, loader).thenCompose(slot -> b.submitEncoded(encoded.stream().map(e -> e.withAdapter(slot)).toList())
                .whenComplete((r, e) -> loader.execute(() -> slots.release(slot))));
    }

    private DynamicBatcher<Classification> batcher() {
        DynamicBatcher<Classification> b = batcher;
        if (b == null) {
            synchronized (this) {
                if (batcher == null) {
                    batcher = make.get();
                }
                b = batcher;
            }
        }
        return b;
    }

    /** The adapters held (by name), least recently used first. */
    public List<String> resident() {
        return slots.names();
    }

    public List<String> pinned() {
        return slots.pinned();
    }

    public int capacity() {
        return slots.capacity();
    }

    boolean drain(Duration timeout) throws InterruptedException {
        DynamicBatcher<Classification> b = batcher;
        return !ownsBatcher || b == null || b.drain(timeout);
    }

    @Override
    public void close() {
        loader.shutdownNow();
        DynamicBatcher<Classification> b = batcher;
        if (ownsBatcher && b != null) {
            b.close();
        }
    }
}
