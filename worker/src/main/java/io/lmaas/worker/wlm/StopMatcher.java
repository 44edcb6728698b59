package io.lmaas.worker.wlm;

import java.util.List;

/**
 * Stop strings over generated text (pure): where the first one starts, and how much text is safe to
 * stream — text that might be the beginning of a stop string is held back until it is not.
 */
public final class StopMatcher {
    private final List<String> stops;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Index of the earliest stop string in {@code text} at or after {@code from}, or -1. */
    public int find(String text, int from) {
        int best = -1;
        for (String s : stops) {
            int i = text.indexOf(s, Math.max(0, from));
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** How much of {@code text} can be emitted: all but a suffix that is a proper prefix of a stop string. */
    public int safeLength(String text) {
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return text.length() - hold;
    }

    public int longest() {
        return stops.stream().mapToInt(String::length).max().orElse(0);
    }
}
