package io.lmaas.worker.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class InferencePoolTest {

    @Test
    void aFullQueueRejectsAtOnceWithACapacityError() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (InferencePool pool = new InferencePool(1, 1)) {
            CompletableFuture<String> running = pool.submit(() -> {
                release.await();
                return "first";
            });
            CompletableFuture<String> queued = pool.submit(() -> "second");
            CompletableFuture<String> rejected = pool.submit(() -> "third");
            assertThat(rejected).isCompletedExceptionally();
            Assertions.assertThatThrownBy(rejected::get).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(CapacityException.class);
            release.countDown();
            assertThat(running.get(5, TimeUnit.SECONDS)).isEqualTo("first");
            assertThat(queued.get(5, TimeUnit.SECONDS)).isEqualTo("second");
        }
    }

    @Test
    void failuresOfAJobReachItsFuture() {
        try (InferencePool pool = new InferencePool(1, 4)) {
            CompletableFuture<Object> f = pool.submit(() -> {
                throw new IllegalArgumentException("bad input");
            });
            Assertions.assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalArgumentException.class);
        }
    }
}
