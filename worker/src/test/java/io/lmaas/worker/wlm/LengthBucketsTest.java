package io.lmaas.worker.wlm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LengthBucketsTest {

    private static long cost(int[] lengths, List<int[]> groups, int overhead) {
        long total = 0;
        for (int[] g : groups) {
            total += (long) g.length * Arrays.stream(g).map(i -> lengths[i]).max().orElse(0) + overhead;
        }
        return total;
    }

    @Test
    void similarLengthsShareOnePassAndOutliersGetTheirOwn() {
        int[] lengths = {12, 510, 10, 11, 9, 500, 12};
        List<int[]> groups = LengthBuckets.plan(lengths, 128);
        assertThat(groups).hasSize(2);
        assertThat(groups.get(0)).containsExactlyInAnyOrder(0, 2, 3, 4, 6);
        assertThat(groups.get(1)).containsExactlyInAnyOrder(1, 5);
    }

    @Test
    void aCheapSplitIsNotWorthAPass() {
        assertThat(LengthBuckets.plan(new int[] {10, 12, 20, 30}, 128)).hasSize(1);
        assertThat(LengthBuckets.plan(new int[] {7}, 128)).hasSize(1);
        assertThat(LengthBuckets.plan(new int[0], 128)).isEmpty();
    }

    @Test
    void everyInputIsInExactlyOnePassAndThePlanIsNoWorseThanOnePass() {
        Random r = new Random(3);
        for (int round = 0; round < 200; round++) {
            int[] lengths = IntStream.range(0, 1 + r.nextInt(64)).map(i -> 1 + r.nextInt(r.nextBoolean() ? 32 : 512)).toArray();
            List<int[]> groups = LengthBuckets.plan(lengths, 128);
            assertThat(groups.stream().flatMapToInt(Arrays::stream).sorted().toArray())
                    .isEqualTo(IntStream.range(0, lengths.length).toArray());
            List<int[]> single = List.of(IntStream.range(0, lengths.length).toArray());
            assertThat(cost(lengths, groups, 128)).isLessThanOrEqualTo(cost(lengths, single, 128));
        }
    }

    @Test
    void noPassHoldsMoreThanTheTokenBudget() {
        int[] lengths = java.util.stream.IntStream.generate(() -> 128).limit(64).toArray();
        List<int[]> groups = LengthBuckets.plan(lengths, 128, 2048);
        assertThat(groups).hasSize(4).allMatch(g -> g.length == 16);
        assertThat(LengthBuckets.plan(new int[] {3000, 5}, 128, 2048)).hasSize(2);
        Random r = new Random(5);
        for (int round = 0; round < 100; round++) {
            int[] ls = IntStream.range(0, 1 + r.nextInt(64)).map(i -> 1 + r.nextInt(512)).toArray();
            for (int[] g : LengthBuckets.plan(ls, 128, 1024)) {
                int longest = Arrays.stream(g).map(i -> ls[i]).max().orElse(0);
                assertThat(g.length == 1 || g.length * longest <= 1024).isTrue();
            }
        }
    }
}
