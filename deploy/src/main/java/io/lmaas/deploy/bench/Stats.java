package io.lmaas.deploy.bench;

import java.util.Arrays;
import java.util.Locale;

/** What the benchmarks report runs with: median, "median [min–max]", markdown rows; and greedy decoding's argmax. */
final class Stats {
    private Stats() {
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** "median unit [min–max]", each multiplied by {@code scale}, two decimals. */
    static String range(double[] x, double scale, String unit) {
        double[] s = x.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.2f %s [%.2f–%.2f]", median(x) * scale, unit, s[0] * scale, s[s.length - 1] * scale);
    }

    static void row(String name, String value) {
        System.out.println("| " + name + " | " + value + " |");
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }
}
