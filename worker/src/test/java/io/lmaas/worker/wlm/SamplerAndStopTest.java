package io.lmaas.worker.wlm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerAndStopTest {
    private static final float[] LOGITS = {0.1f, 3.0f, 2.9f, -1f, 0.5f};

    @Test
    void greedyTopKAndTopP() {
        assertThat(Sampler.next(LOGITS, 0, 0, 1, new SplittableRandom(1))).isEqualTo(1);
        Set<Integer> topTwo = new HashSet<>();
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 500; i++) {
            topTwo.add(Sampler.next(LOGITS, 1.0, 2, 1, r));
        }
        assertThat(topTwo).containsExactlyInAnyOrder(1, 2);
        // Probabilities at temperature 1: about 0.48 and 0.44 for the two best, then 0.08, 0.05, 0.02.
        Set<Integer> nucleus = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            nucleus.add(Sampler.next(LOGITS, 1.0, 0, 0.3, r));
        }
        assertThat(nucleus).containsExactly(1);
        Set<Integer> wider = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            wider.add(Sampler.next(LOGITS, 1.0, 0, 0.9, r));
        }
        assertThat(wider).containsExactlyInAnyOrder(1, 2);
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            all.add(Sampler.next(LOGITS, 2.0, 0, 1, r));
        }
        assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    }

    @Test
    void sameSeedSameChoices() {
        SplittableRandom a = new SplittableRandom(42);
        SplittableRandom b = new SplittableRandom(42);
        for (int i = 0; i < 50; i++) {
            assertThat(Sampler.next(LOGITS, 0.8, 3, 0.95, a)).isEqualTo(Sampler.next(LOGITS, 0.8, 3, 0.95, b));
        }
    }

    @Test
    void stopStringsAreFoundAndTheirPrefixesHeldBack() {
        StopMatcher m = new StopMatcher(List.of("\n\n", "END"));
        assertThat(m.find("hello END there", 0)).isEqualTo(6);
        assertThat(m.find("a\n\nb", 0)).isEqualTo(1);
        assertThat(m.find("nothing", 0)).isEqualTo(-1);
        assertThat(m.safeLength("hello EN")).isEqualTo(6);
        assertThat(m.safeLength("hello\n")).isEqualTo(5);
        assertThat(m.safeLength("hello")).isEqualTo(5);
        assertThat(new StopMatcher(List.of()).safeLength("abc")).isEqualTo(3);
    }
}
