package io.lmaas.gateway.identity;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.security.interfaces.RSAPublicKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realm's signing keys, fetched from its JWKS URL and kept: refreshed when a token names a key id
 * not seen yet (Keycloak rotated its keys) — at most every 10 s — and when older than 5 minutes. While
 * Keycloak is unreachable the keys already fetched keep working; with none, {@code 503 identity_unavailable}.
 */
public final class JwksCache {
    private static final Logger LOG = LoggerFactory.getLogger(JwksCache.class);
    private static final long MIN_REFRESH_MS = 10_000;
    private static final long MAX_AGE_MS = 300_000;

    private final HttpClient http;
    private final String url;
    private volatile JwkSet keys;
    private volatile long fetchedAt;
    private volatile long triedAt;
    private Future<JwkSet> inFlight;

    public JwksCache(Vertx vertx, String url) {
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setIdleTimeout(10));
        this.url = url;
    }

    public Future<RSAPublicKey> key(String kid) {
        long now = System.currentTimeMillis();
        JwkSet current = keys;
        RSAPublicKey key = current == null ? null : current.key(kid);
        boolean stale = current == null || now - fetchedAt > MAX_AGE_MS;
        if (key != null && !stale) {
            return Future.succeededFuture(key);
        }
        Future<JwkSet> pending = inFlight();
        if (pending != null) {
            return pending.map(set -> set.key(kid)).recover(e -> key != null ? Future.succeededFuture(key)
                    : Future.failedFuture(unavailable(e)));
        }
        if (now - triedAt < MIN_REFRESH_MS) {
            // Tried moments ago: an unknown kid stays unknown, and an unreachable Keycloak is not asked again yet.
            return current != null ? Future.succeededFuture(key) : Future.failedFuture(unavailable(null));
        }
        return refresh().map(set -> set.key(kid)).recover(e -> {
            if (key != null) {
                return Future.succeededFuture(key);
            }
            return Future.failedFuture(unavailable(e));
        });
    }

    private synchronized Future<JwkSet> inFlight() {
        return inFlight;
    }

    private synchronized Future<JwkSet> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        triedAt = System.currentTimeMillis();
        Future<JwkSet> f = http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url).setTimeout(5000))
                .compose(req -> req.send())
                .compose(resp -> resp.statusCode() == 200 ? resp.body()
                        : Future.failedFuture(new IllegalStateException("JWKS answered " + resp.statusCode())))
                .map(body -> {
                    JwkSet set = JwkSet.parse(new JsonObject(body));
                    keys = set;
                    fetchedAt = System.currentTimeMillis();
                    return set;
                });
        inFlight = f;
        f.onComplete(ar -> {
            synchronized (this) {
                inFlight = null;
            }
            if (ar.failed()) {
                LOG.warn("cannot fetch the realm's keys from {}: {}", url, ar.cause().toString());
            }
        });
        return f;
    }

    static ApiException unavailable(Throwable cause) {
        return ApiException.unavailable("identity_unavailable", "The identity provider (Keycloak) cannot be reached to check"
                + " this sign-in; try again shortly.", 5);
    }

    public void close() {
        http.close();
    }
}
