package io.lmaas.gateway.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Bounded, time-limited cache of key lookups (including "no such key"), so authentication needs no
 * database round trip on the hot path. Entries live {@code ttl}; the least recently used go first.
 */
final class KeyCache {
    private record Entry(Optional<StoredKey> key, Instant loadedAt) {
    }

    /** How often a cached key may be read again because a presented secret did not match it. */
    static final Duration RECHECK_EVERY = Duration.ofMillis(100);
    private final Map<String, Instant> rechecked = new LinkedHashMap<>();

    private final Clock clock;
    private final Duration ttl;
    private final Map<String, Entry> entries;
    /** Bumped by every invalidation, so a lookup that raced with one does not cache what it read. */
    private long generation;

    KeyCache(Clock clock, Duration ttl, int maxEntries) {
        this.clock = clock;
        this.ttl = ttl;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The cached lookup, if fresh: empty = not cached; Optional.empty() inside = known not to exist. */
    synchronized Optional<Optional<StoredKey>> get(String keyId) {
        Entry e = entries.get(keyId);
        if (e == null || e.loadedAt().plus(ttl).isBefore(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(e.key());
    }

    /**
     * A presented secret did not match the cached key: it may have been rotated (or created) on another
     * gateway a moment ago, before the change notification arrived. True at most once per
     * {@link #RECHECK_EVERY} per key, so wrong secrets cannot turn into a database query each.
     */
    synchronized boolean mayRecheck(String keyId) {
        Instant now = clock.instant();
        Instant last = rechecked.get(keyId);
        if (last != null && last.plus(RECHECK_EVERY).isAfter(now)) {
            return false;
        }
        rechecked.put(keyId, now);
        if (rechecked.size() > 10_000) {
            rechecked.clear();
        }
        return true;
    }

    synchronized long generation() {
        return generation;
    }

    /** Caches a lookup that started at {@code generationAtStart}, unless an invalidation happened since. */
    synchronized void put(String keyId, Optional<StoredKey> key, long generationAtStart) {
        if (generation == generationAtStart) {
            entries.put(keyId, new Entry(key, clock.instant()));
        }
    }

    synchronized void remove(String keyId) {
        generation++;
        entries.remove(keyId);
    }

    synchronized void clear() {
        generation++;
        entries.clear();
    }
}
