package io.lmaas.gateway.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.gateway.auth.AdminPrincipal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Console token checks without a server: JWKS parsing, RS256 signatures, and the claim rules. */
class ConsoleTokensTest {
    private static final String ISSUER = "http://127.0.0.1:8180/realms/lmaas";
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static KeyPair key;
    private static KeyPair other;
    private static JwkSet jwks;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        other = g.generateKeyPair();
        RSAPublicKey pub = (RSAPublicKey) key.getPublic();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        jwks = JwkSet.parse(new JsonObject().put("keys", new JsonArray()
                .add(new JsonObject().put("kty", "RSA").put("kid", "k1").put("use", "sig").put("alg", "RS256")
                        .put("n", b64.encodeToString(unsigned(pub.getModulus().toByteArray())))
                        .put("e", b64.encodeToString(unsigned(pub.getPublicExponent().toByteArray()))))
                .add(new JsonObject().put("kty", "RSA").put("kid", "enc1").put("use", "enc").put("n", "AQAB").put("e", "AQAB"))
                .add(new JsonObject().put("kty", "EC").put("kid", "ec1"))));
    }

    private static byte[] unsigned(byte[] b) {
        return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
    }

    static String sign(JsonObject header, JsonObject claims, KeyPair with) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String input = b64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(with.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64.encodeToString(s.sign());
    }

    private static JsonObject claims(String... roles) {
        return new JsonObject().put("iss", ISSUER).put("aud", new JsonArray().add("account").add("lmaas-gateway"))
                .put("exp", NOW.getEpochSecond() + 60).put("preferred_username", "alice")
                .put("realm_access", new JsonObject().put("roles", new JsonArray(java.util.List.of(roles))))
                .put("groups", new JsonArray().add("tenant-t-1").add("/tenant-t-2").add("other-group").add("tenant-"));
    }

    private static AdminPrincipal check(String token) throws Exception {
        Jwt jwt = Jwt.parse(token);
        jwt.verify(jwks.key(jwt.keyId()));
        return new ConsoleTokenRules(ISSUER, "lmaas-gateway").principal(jwt.claims(), NOW);
    }

    @Test
    void aSignedTokenGivesThePrincipalItsRolesAndGroupsSay() throws Exception {
        assertThat(jwks.size()).as("encryption and non-RSA keys are skipped").isEqualTo(1);
        JsonObject header = new JsonObject().put("alg", "RS256").put("kid", "k1").put("typ", "JWT");
        AdminPrincipal tenantAdmin = check(sign(header, claims("tenant-admin", "offline_access"), key));
        assertThat(tenantAdmin.platformAdmin()).isFalse();
        assertThat(tenantAdmin.tenantIds()).containsExactlyInAnyOrder("t-1", "t-2");
        assertThat(tenantAdmin.actor()).isEqualTo("user:alice");
        assertThat(tenantAdmin.canSee("t-1")).isTrue();
        assertThat(tenantAdmin.canSee("t-3")).isFalse();

        AdminPrincipal platform = check(sign(header, claims("platform-admin"), key));
        assertThat(platform.platformAdmin()).isTrue();
        assertThat(platform.canSee("t-3")).isTrue();
    }

    @Test
    void badTokensAreRefused() throws Exception {
        JsonObject header = new JsonObject().put("alg", "RS256").put("kid", "k1");
        assertThatThrownBy(() -> check(sign(header, claims("platform-admin"), other))).isInstanceOf(Jwt.Invalid.class)
                .hasMessageContaining("signature");
        assertThatThrownBy(() -> check(sign(header.copy().put("alg", "HS256"), claims("platform-admin"), key)))
                .isInstanceOf(Jwt.Invalid.class).hasMessageContaining("HS256");
        assertThatThrownBy(() -> Jwt.parse("not-a-token")).isInstanceOf(Jwt.Invalid.class);
        assertThatThrownBy(() -> Jwt.parse("a.b.c")).isInstanceOf(Jwt.Invalid.class);
        String good = sign(header, claims("platform-admin"), key);
        String[] parts = good.split("\\.");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(claims("platform-admin")
                .put("preferred_username", "mallory").encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertThatThrownBy(() -> check(tampered)).isInstanceOf(Jwt.Invalid.class);

        record Case(JsonObject claims, String message, boolean forbidden) {
        }
        for (Case c : java.util.List.of(
                new Case(claims("platform-admin").put("iss", "http://evil/realms/lmaas"), "not issued by", false),
                new Case(claims("platform-admin").put("aud", "account"), "not meant for", false),
                new Case(claims("platform-admin").put("exp", NOW.getEpochSecond() - 31), "expired", false),
                new Case(claims("platform-admin").put("nbf", NOW.getEpochSecond() + 120), "not valid yet", false),
                new Case(claims("offline_access"), "neither", true))) {
            assertThatThrownBy(() -> check(sign(header, c.claims(), key))).as(c.message())
                    .isInstanceOfSatisfying(ConsoleTokenRules.Refused.class, e -> {
                        assertThat(e.getMessage()).contains(c.message());
                        assertThat(e.forbidden()).isEqualTo(c.forbidden());
                    });
        }
        // Within the 30 s of allowed clock skew an expired token still passes.
        assertThat(check(sign(header, claims("platform-admin").put("exp", NOW.getEpochSecond() - 20), key)).platformAdmin()).isTrue();
    }
}
