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
        lookup(presented.get().keyId()).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ApiException.unavailable("auth_unavailable", "authentication is temporarily unavailable", 1));
                return;
            }
            Optional<StoredKey> key = ar.result();
            OffsetDateTime now = OffsetDateTime.now(clock);
            if (key.isEmpty() || !key.get().accepts(hasher, presented.get().secret(), now)) {
                ctx.fail(ApiException.unauthorized("Incorrect API key provided."));
            } else if (!key.get().usableAt(now)) {
                ctx.fail(ApiException.unauthorized("This API key has been revoked or has expired."));
            } else {
                StoredKey k = key.get();
                new TenantPrincipal(k.tenantId(), k.keyId(), k.scopes(), k.limits()).attach(ctx);
                ctx.next();
            }
        });
    }

    /** A key changed somewhere (revoked, rotated, limits): the next request reads it again. */
    public void invalidate(String keyId) {
        cache.remove(keyId);
    }

    /** Changes may have been missed (the change feed reconnected): forget every cached key. */
    public void invalidateAll() {
        cache.clear();
    }

    private Future<Optional<StoredKey>> lookup(String keyId) {
        Optional<Optional<StoredKey>> cached = cache.get(keyId);
        if (cached.isPresent()) {
            return Future.succeededFuture(cached.get());
        }
        long generation = cache.generation();
        return keys.find(keyId).onSuccess(k -> cache.put(keyId, k, generation));
    }
}
