package io.lmaas.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Bounded, time-limited cache of key lookups (including "no such key"), so authentication needs no
 * database round trip on the hot path: Caffeine, entries living {@code ttl} after they were read, at most
 * {@code maxEntries} (its size-based eviction), statistics recorded for the gateway's metrics.
 */
final class KeyCache {
    /** How often a cached key may be read again because a presented secret did not match it. */
    static final Duration RECHECK_EVERY = Duration.ofMillis(100);

    private final Cache<String, Optional<StoredKey>> entries;
    /** Keys re-read lately because a secret did not match: one entry per key for {@link #RECHECK_EVERY}. */
    private final Cache<String, Boolean> rechecked;
    /** Bumped by every invalidation, so a lookup that raced with one does not cache what it read. */
    private long generation;

    KeyCache(Clock clock, Duration ttl, int maxEntries) {
        Ticker ticker = () -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
        this.entries = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(ttl).maximumSize(maxEntries)
                .recordStats().build();
        this.rechecked = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(RECHECK_EVERY).maximumSize(maxEntries)
                .build();
    }

    /** The cached lookup, if fresh: empty = not cached; Optional.empty() inside = known not to exist. */
    Optional<Optional<StoredKey>> get(String keyId) {
        return Optional.ofNullable(entries.getIfPresent(keyId));
    }

    /**
     * A presented secret did not match the cached key: it may have been rotated (or created) on another
     * gateway a moment ago, before the change notification arrived. True at most once per
     * {@link #RECHECK_EVERY} per key, so wrong secrets cannot turn into a database query each.
     */
    boolean mayRecheck(String keyId) {
        return rechecked.asMap().putIfAbsent(keyId, Boolean.TRUE) == null;
    }

    synchronized long generation() {
        return generation;
    }

    /** Caches a lookup that started at {@code generationAtStart}, unless an invalidation happened since. */
    synchronized void put(String keyId, Optional<StoredKey> key, long generationAtStart) {
        if (generation == generationAtStart) {
            entries.put(keyId, key);
        }
    }

    synchronized void remove(String keyId) {
        generation++;
        entries.invalidate(keyId);
    }

    synchronized void clear() {
        generation++;
        entries.invalidateAll();
    }

    /** The cache itself, for its metrics (hits, misses, evictions, size). */
    Cache<String, Optional<StoredKey>> cache() {
        return entries;
    }
}
