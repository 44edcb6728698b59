package io.lmaas.gateway.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The realm's keys over real HTTP: fetched once, refetched when a token names a new key, kept while the server is down. */
class JwksCacheTest {
    private Vertx vertx;
    private HttpServer server;
    private final AtomicReference<JsonObject> jwks = new AtomicReference<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile boolean down;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> {
            fetches.incrementAndGet();
            if (down) {
                req.response().setStatusCode(503).end();
            } else {
                req.response().putHeader("content-type", "application/json").end(jwks.get().encode());
            }
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static JsonObject jwk(String kid, KeyPair k) {
        RSAPublicKey pub = (RSAPublicKey) k.getPublic();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return new JsonObject().put("kty", "RSA").put("kid", kid).put("use", "sig")
                .put("n", b64.encodeToString(pub.getModulus().toByteArray())).put("e", b64.encodeToString(pub.getPublicExponent().toByteArray()));
    }

    @Test
    void aRotatedKeyIsFetchedAndKnownKeysSurviveAnOutage() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair k1 = g.generateKeyPair();
        KeyPair k2 = g.generateKeyPair();
        jwks.set(new JsonObject().put("keys", new JsonArray().add(jwk("k1", k1))));
        JwksCache cache = new JwksCache(vertx, "http://127.0.0.1:" + server.actualPort() + "/certs");

        assertThat(cache.key("k1").await(10, TimeUnit.SECONDS)).isEqualTo(k1.getPublic());
        assertThat(cache.key("k1").await(10, TimeUnit.SECONDS)).isEqualTo(k1.getPublic());
        assertThat(fetches.get()).as("cached after the first fetch").isEqualTo(1);

        // Keycloak rotates: a token with the new kid makes the cache fetch again — but not more than every 10 s.
        jwks.set(new JsonObject().put("keys", new JsonArray().add(jwk("k2", k2)).add(jwk("k1", k1))));
        assertThat(cache.key("k2").await(10, TimeUnit.SECONDS)).as("within 10 s of the last fetch: not refetched").isNull();
        assertThat(fetches.get()).isEqualTo(1);
        JwksCache fresh = new JwksCache(vertx, "http://127.0.0.1:" + server.actualPort() + "/certs");
        assertThat(fresh.key("k2").await(10, TimeUnit.SECONDS)).isEqualTo(k2.getPublic());

        // Keycloak down: keys already held still verify; an unknown key with none held is 503.
        down = true;
        assertThat(fresh.key("k1").await(10, TimeUnit.SECONDS)).isEqualTo(k1.getPublic());
        JwksCache cold = new JwksCache(vertx, "http://127.0.0.1:" + server.actualPort() + "/certs");
        Throwable err = null;
        try {
            cold.key("k1").await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            err = e;
        }
        assertThat(err).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("identity_unavailable"));
    }
}
