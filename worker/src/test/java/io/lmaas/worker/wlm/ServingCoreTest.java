package io.lmaas.worker.wlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.runtime.BatchedModel;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.testing.TrainedStarters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The batching cores with the real starter models: batches form, queues reject early, cancels stop work. */
class ServingCoreTest {
    private static ClassifierRuntime classifier;
    private static GeneratorRuntime generator;

    @BeforeAll
    static void load() {
        classifier = (ClassifierRuntime) ModelRuntime.load(TrainedStarters.classifier());
        generator = (GeneratorRuntime) ModelRuntime.load(TrainedStarters.generator());
    }

    @AfterAll
    static void close() {
        classifier.close();
        generator.close();
    }

    /** Records batch sizes. */
    private static final class Batches implements ServingObserver {
        final List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger rejected = new AtomicInteger();

        @Override
        public void batch(int size) {
            sizes.add(size);
        }

        @Override
        public void rejected() {
            rejected.incrementAndGet();
        }
    }

    @Test
    void concurrentClassificationsShareBatchesAndGetTheirOwnAnswers() throws Exception {
        Batches seen = new Batches();
        try (DynamicBatcher<Classification> batcher = new DynamicBatcher<>(classifier,
                new DynamicBatcher.Settings(16, Duration.ofMillis(20), 1000, 1), seen)) {
            List<CompletableFuture<List<Classification>>> all = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                all.add(batcher.submit(List.of(i % 2 == 0 ? "the striker scored a late goal" : "heavy rain flooded the harbor")));
            }
            for (int i = 0; i < 32; i++) {
                assertThat(all.get(i).get().get(0).label()).isEqualTo(i % 2 == 0 ? "sports" : "weather");
            }
            assertThat(seen.sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(32);
            assertThat(seen.sizes.stream().mapToInt(Integer::intValue).max().orElse(0)).isGreaterThan(1);
            assertThat(seen.sizes).allMatch(s -> s <= 16);
        }
    }

    @Test
    void aBatchsPassesRunSideBySideOnSeveralInferenceThreads() throws Exception {
        // Both inference threads are held in a pass of their own while a request of eight inputs (four passes) queues. The
        // first thread let go gathers all eight, and its first pass of them waits until another pass of that batch has
        // started: only the second thread, once let go, taking one of the planned passes lets both go on.
        List<CountDownLatch> held = List.of(new CountDownLatch(1), new CountDownLatch(1));
        List<CountDownLatch> release = List.of(new CountDownLatch(1), new CountDownLatch(1));
        CountDownLatch twoAtOnce = new CountDownLatch(2);
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean sideBySide = new AtomicBoolean();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        BatchedModel<Classification> model = new BatchedModel<>() {
            @Override
            public Encoded encode(String text, boolean truncate) {
                return classifier.encode(text, truncate);
            }

            @Override
            public List<Classification> run(List<Encoded> inputs) {
                threads.add(Thread.currentThread().getName());
                int call = calls.getAndIncrement();
                try {
                    if (call < 2) {
                        held.get(call).countDown();
                        release.get(call).await(10, TimeUnit.SECONDS);
                    } else {
                        twoAtOnce.countDown();
                        if (call == 2) { // the batch's first pass: does another of its passes start while it runs?
                            sideBySide.set(twoAtOnce.await(10, TimeUnit.SECONDS));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return classifier.run(inputs);
            }
        };
        String text = "the storm hit the islands";
        int tokens = classifier.encode(text, false).length();
        Batches seen = new Batches();
        try (DynamicBatcher<Classification> batcher = new DynamicBatcher<>(model,
                new DynamicBatcher.Settings(16, Duration.ofMillis(1), 1000, 2, 2 * tokens), seen)) {
            CompletableFuture<List<Classification>> one = batcher.submit(List.of(text));
            assertThat(held.get(0).await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<List<Classification>> two = batcher.submit(List.of(text));
            assertThat(held.get(1).await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<List<Classification>> eight = batcher.submit(Collections.nCopies(8, text)); // four passes of two
            release.get(0).countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.sizes.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            release.get(1).countDown();
            assertThat(eight.get(30, TimeUnit.SECONDS)).hasSize(8).allMatch(c -> c.label().equals("weather"));
            assertThat(one.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(two.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(seen.sizes).containsExactly(1, 1, 8);
            assertThat(sideBySide).isTrue();
            assertThat(threads).containsExactlyInAnyOrder("batch-0", "batch-1");
        }
    }

    @Test
    void aFullClassificationQueueRejectsAtOnce() {
        Batches seen = new Batches();
        try (DynamicBatcher<Classification> batcher = new DynamicBatcher<>(classifier,
                new DynamicBatcher.Settings(4, Duration.ofMillis(1), 8, 1), seen)) {
            List<String> twenty = java.util.Collections.nCopies(20, "the storm hit the islands");
            CompletableFuture<List<Classification>> tooMany = batcher.submit(twenty);
            assertThat(tooMany).isCompletedExceptionally();
            assertThatThrownBy(tooMany::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(CapacityException.class);
            assertThat(seen.rejected.get()).isEqualTo(1);
        }
    }

    @Test
    void newSequencesJoinARunningBatch() throws Exception {
        Batches seen = new Batches();
        try (GenerationEngine engine = new GenerationEngine(generator, 8, 64, seen)) {
            List<CompletableFuture<Generation>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(engine.submit(new GenerationRequest("the striker", 40, 0.9, 1.0, 0, List.of(), i)));
            }
            for (CompletableFuture<Generation> f : all) {
                assertThat(f.get().completionTokens()).isPositive();
            }
            assertThat(seen.sizes.stream().mapToInt(Integer::intValue).max().orElse(0)).isGreaterThan(1);
        }
    }

    @Test
    void aCancelledSequenceStopsAtTheNextStep() throws Exception {
        try (GenerationEngine engine = new GenerationEngine(generator, 4, 16, ServingObserver.NONE)) {
            // Cancelled once 3 tokens are out. A sampled sequence may end by itself before that (the model's end token);
            // such a run says nothing about cancellation, so seeds are tried until one reaches 3 tokens, and that one must
            // end "cancelled" within a step — never run on to its end token or max_tokens.
            int exercised = 0;
            for (long seed = 1; seed <= 20 && exercised == 0; seed++) {
                AtomicBoolean cancelled = new AtomicBoolean();
                AtomicInteger tokens = new AtomicInteger();
                Generation g = engine.submit(new GenerationRequest("the coach", 4000, 1.0, 1.0, 0, List.of(), seed),
                        new GenerationEngine.Listener() {
                            @Override
                            public void delta(String text, int n) {
                                if (tokens.addAndGet(n) >= 3) {
                                    cancelled.set(true);
                                }
                            }
                        }, cancelled::get).get();
                if (cancelled.get()) {
                    exercised++;
                    assertThat(g.finishReason()).as("seed %d", seed).isEqualTo("cancelled");
                    assertThat(g.completionTokens()).as("tokens after the cancel, seed %d", seed).isLessThanOrEqualTo(4);
                } else {
                    assertThat(g.finishReason()).as("seed %d ended by itself", seed).isEqualTo("stop");
                }
            }
            assertThat(exercised).as("a run that reached the cancel").isEqualTo(1);
        }
    }

    @Test
    void drainingRefusesNewWorkAndFinishesRunningWork() throws Exception {
        try (GenerationEngine engine = new GenerationEngine(generator, 4, 16, ServingObserver.NONE)) {
            CompletableFuture<Generation> running = engine.submit(new GenerationRequest("investors", 30, 0, 0));
            assertThat(engine.drain(Duration.ofSeconds(30))).isTrue();
            assertThat(running).isCompleted();
            assertThat(running.get().completionTokens()).isPositive();
            assertThatThrownBy(() -> engine.submit(new GenerationRequest("x", 3, 0, 0)).get())
                    .hasCauseInstanceOf(CapacityException.class);
        }
    }
}
