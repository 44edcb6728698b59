package io.lmaas.gateway.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;

/**
 * A compact JWS as Keycloak issues access tokens, parsed by nimbus-jose-jwt without trusting it; {@link #verify}
 * checks the signature with RS256 pinned: the algorithm the header names is never what picks the check (HS256
 * with the public key as a secret, {@code none}, and the rest are refused before any verification).
 */
public final class Jwt {
    private final SignedJWT jws;
    private final JsonObject claims;

    private Jwt(SignedJWT jws, JsonObject claims) {
        this.jws = jws;
        this.claims = claims;
    }

    /** Thrown for anything that is not a well-formed, correctly signed token. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    public static Jwt parse(String token) throws Invalid {
        try {
            SignedJWT jws = SignedJWT.parse(token);
            return new Jwt(jws, new JsonObject(jws.getPayload().toString()));
        } catch (ParseException | DecodeException | ClassCastException | IllegalArgumentException e) {
            throw new Invalid("malformed JWT");
        }
    }

    /** The payload's claims, as sent (checked by {@link ConsoleTokenRules} after {@link #verify}). */
    public JsonObject claims() {
        return claims;
    }

    public String keyId() {
        return jws.getHeader().getKeyID();
    }

    public String algorithm() {
        return jws.getHeader().getAlgorithm().getName();
    }

    public void verify(RSAPublicKey key) throws Invalid {
        if (!JWSAlgorithm.RS256.equals(jws.getHeader().getAlgorithm())) {
            throw new Invalid("unsupported signing algorithm " + algorithm());
        }
        try {
            if (!jws.verify(new RSASSAVerifier(key))) {
                throw new Invalid("bad signature");
            }
        } catch (JOSEException | IllegalStateException e) {
            throw new Invalid("bad signature");
        }
    }
}
