package io.lmaas.worker.wlm;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from logits: greedy at temperature 0, else temperature, top-k and top-p sampling (pure). */
public final class Sampler {
    private Sampler() {
    }

    public static int next(float[] logits, double temperature, int topK, double topP, SplittableRandom random) {
        if (temperature == 0) {
            return argmax(logits);
        }
        int n = logits.length;
        Integer[] order = null;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
        }
        boolean[] keep = new boolean[n];
        Arrays.fill(keep, true);
        if ((topK > 0 && topK < n) || topP < 1) {
            order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            double[] probs = p;
            Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]) != 0 ? Double.compare(probs[b], probs[a])
                    : Integer.compare(a, b));
            double total = 0;
            for (double v : p) {
                total += v;
            }
            Arrays.fill(keep, false);
            double cumulative = 0;
            int limit = topK > 0 ? Math.min(topK, n) : n;
            for (int r = 0; r < limit; r++) {
                keep[order[r]] = true;
                cumulative += p[order[r]] / total;
                if (cumulative >= topP) {
                    break;
                }
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            if (keep[i]) {
                total += p[i];
            }
        }
        double r = random.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (!keep[i]) {
                continue;
            }
            last = i;
            r -= p[i];
            if (r <= 0) {
                return i;
            }
        }
        return last;
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
