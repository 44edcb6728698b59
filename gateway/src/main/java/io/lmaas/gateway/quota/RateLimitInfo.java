package io.lmaas.gateway.quota;

import java.time.Duration;

/** The per-minute figures OpenAI clients read from {@code x-ratelimit-*} headers (remaining is an estimate). */
public record RateLimitInfo(Long limitRequests, Long remainingRequests, Duration resetRequests, Long limitTokens,
        Long remainingTokens, Duration resetTokens) {

    /** OpenAI's duration format: {@code 1s}, {@code 6m0s}, {@code 1h2m3s}, {@code 250ms}. */
    public static String format(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + "ms";
        }
        long s = (ms + 999) / 1000;
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        if (h > 0) {
            return h + "h" + m + "m" + sec + "s";
        }
        return m > 0 ? m + "m" + sec + "s" : sec + "s";
    }
}
