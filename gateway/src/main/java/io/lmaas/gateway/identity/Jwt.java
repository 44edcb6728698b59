package io.lmaas.gateway.identity;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * A compact JWS (header.payload.signature) as Keycloak issues access tokens: parsed without trusting it,
 * then {@link #verify(PublicKey)} checks the RS256 signature. Pure; other algorithms are refused.
 */
public record Jwt(JsonObject header, JsonObject claims, byte[] signingInput, byte[] signature) {

    /** Thrown for anything that is not a well-formed, correctly signed token. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    public static Jwt parse(String token) throws Invalid {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new Invalid("not a JWT");
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            JsonObject header = new JsonObject(new String(b64.decode(parts[0]), StandardCharsets.UTF_8));
            JsonObject claims = new JsonObject(new String(b64.decode(parts[1]), StandardCharsets.UTF_8));
            return new Jwt(header, claims, (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII), b64.decode(parts[2]));
        } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
            throw new Invalid("malformed JWT");
        }
    }

    public String keyId() {
        return header.getValue("kid") instanceof String s ? s : null;
    }

    public String algorithm() {
        return header.getValue("alg") instanceof String s ? s : null;
    }

    public void verify(PublicKey key) throws Invalid {
        if (!"RS256".equals(algorithm())) {
            throw new Invalid("unsupported signing algorithm " + algorithm());
        }
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(key);
            s.update(signingInput);
            if (!s.verify(signature)) {
                throw new Invalid("bad signature");
            }
        } catch (GeneralSecurityException e) {
            throw new Invalid("bad signature");
        }
    }
}
