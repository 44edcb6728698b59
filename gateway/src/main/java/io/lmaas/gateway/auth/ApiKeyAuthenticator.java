package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * Authenticates tenant API calls: {@code Authorization: Bearer lm-<keyId>-<secret>} → key looked up by
 * id (cached), secret verified against the keyed hash in constant time, revocation and expiry checked.
 * Any failure is the same 401, which never echoes the presented token.
 */
public final class ApiKeyAuthenticator implements Handler<RoutingContext> {
    private final ApiKeyRepository keys;
    private final KeyHasher hasher;
    private final KeyCache cache;
    private final Clock clock;

    public ApiKeyAuthenticator(ApiKeyRepository keys, KeyHasher hasher, Clock clock, Duration cacheTtl) {
        this.keys = keys;
        this.hasher = hasher;
        this.clock = clock;
        this.cache = new KeyCache(clock, cacheTtl, 100_000);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String header = ctx.request().getHeader("authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.fail(ApiException.unauthorized("Missing API key: send 'Authorization: Bearer <key>'."));
            return;
        }
        Optional<ApiKeys.Presented> presented = ApiKeys.parse(header.substring(7).trim());
        if (presented.isEmpty()) {
            ctx.fail(ApiException.unauthorized("Incorrect API key provided."));
            return;
        }
        String keyId = presented.get().keyId();
        String secret = presented.get().secret();
        OffsetDateTime now = OffsetDateTime.now(clock);
        Optional<Optional<StoredKey>> cached = cache.get(keyId);
        if (cached.isPresent() && accepted(cached.get(), secret, now)) {
            admit(ctx, cached.get().get(), now);
            return;
        }
        // Not cached, or the cached key refuses this secret: it may have been rotated or created on another
        // gateway moments ago, before the change notification arrived here. Read it (again), at most every
        // KeyCache.RECHECK_EVERY per key so that wrong secrets do not each cost a query.
        Future<Optional<StoredKey>> found = cached.isEmpty() || cache.mayRecheck(keyId) ? load(keyId)
                : Future.succeededFuture(cached.get());
        found.onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ApiException.unavailable("auth_unavailable", "authentication is temporarily unavailable", 1));
            } else if (!accepted(ar.result(), secret, now)) {
                ctx.fail(ApiException.unauthorized("Incorrect API key provided."));
            } else {
                admit(ctx, ar.result().get(), now);
            }
        });
    }

    private static void admit(RoutingContext ctx, StoredKey k, OffsetDateTime now) {
        if (!k.usableAt(now)) {
            ctx.fail(ApiException.unauthorized("This API key has been revoked or has expired."));
            return;
        }
        new TenantPrincipal(k.tenantId(), k.keyId(), k.scopes(), k.limits()).attach(ctx);
        ctx.next();
    }

    private boolean accepted(Optional<StoredKey> key, String secret, OffsetDateTime now) {
        return key.isPresent() && key.get().accepts(hasher, secret, now);
    }

    /** The key cache's hits, misses, evictions and size as {@code cache_*{cache="api_keys"}}. */
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry, io.micrometer.core.instrument.Tags tags) {
        io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics.monitor(registry, cache.cache(), "api_keys", tags);
    }

    /** A key changed somewhere (revoked, rotated, limits): the next request reads it again. */
    public void invalidate(String keyId) {
        cache.remove(keyId);
    }

    /** Changes may have been missed (the change feed reconnected): forget every cached key. */
    public void invalidateAll() {
        cache.clear();
    }

    private Future<Optional<StoredKey>> load(String keyId) {
        long generation = cache.generation();
        return keys.find(keyId).onSuccess(k -> cache.put(keyId, k, generation));
    }
}
