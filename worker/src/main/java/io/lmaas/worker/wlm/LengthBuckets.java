package io.lmaas.worker.wlm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Splits a gathered batch into forward passes of similar length so short inputs are not padded to a long one. Inputs
 * are sorted by length and cut where it is cheapest: a pass costs its padded size (inputs × longest) plus a fixed
 * overhead, expressed in tokens, for launching it; and no pass holds more than a token budget (inputs × longest), since
 * on a CPU a pass past a few thousand tokens falls out of cache (attention scores grow with batch × length²) and runs
 * slower per token than two smaller ones. The cuts minimise the total cost exactly (dynamic programming over the sorted
 * lengths; batches are small). Pure.
 */
public final class LengthBuckets {
    /** What one more forward pass costs, in padded tokens (measured on CPU: a pass's fixed cost ≈ 64–256 tokens' work). */
    public static final int DEFAULT_OVERHEAD_TOKENS = 128;
    /** The most padded tokens in one pass (measured on 2 cores with all-MiniLM-L6-v2: docs/benchmarks.md). */
    public static final int DEFAULT_MAX_PASS_TOKENS = 2048;

    private LengthBuckets() {
    }

    /** {@link #plan(int[], int, int)} with the default budget. */
    public static List<int[]> plan(int[] lengths, int overheadTokens) {
        return plan(lengths, overheadTokens, DEFAULT_MAX_PASS_TOKENS);
    }

    /** Groups of indices into {@code lengths}, each group one forward pass of at most {@code maxPassTokens} padded tokens. */
    public static List<int[]> plan(int[] lengths, int overheadTokens, int maxPassTokens) {
        int n = lengths.length;
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> lengths[i])).toArray(Integer[]::new);
        long[] best = new long[n + 1];
        int[] cut = new int[n + 1];
        Arrays.fill(best, Long.MAX_VALUE);
        best[0] = 0;
        for (int end = 1; end <= n; end++) {
            long longest = Math.max(1, lengths[order[end - 1]]);
            for (int start = 0; start < end; start++) {
                if (end - start > 1 && (end - start) * longest > maxPassTokens) {
                    continue; // over the budget (a single input always gets a pass of its own)
                }
                long cost = best[start] + (end - start) * longest + overheadTokens;
                if (cost < best[end]) {
                    best[end] = cost;
                    cut[end] = start;
                }
            }
        }
        List<int[]> groups = new ArrayList<>();
        for (int end = n; end > 0; end = cut[end]) {
            int start = cut[end];
            int[] group = new int[end - start];
            for (int i = start; i < end; i++) {
                group[i - start] = order[i];
            }
            groups.add(0, group);
        }
        return groups;
    }
}
