package io.lmaas.gateway.identity;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** The RSA signing keys of a JWKS document ({@code {"keys":[...]}}), by key id. Pure. */
public final class JwkSet {
    private final Map<String, PublicKey> keys;

    private JwkSet(Map<String, PublicKey> keys) {
        this.keys = Map.copyOf(keys);
    }

    public static JwkSet parse(JsonObject jwks) {
        Map<String, PublicKey> out = new HashMap<>();
        JsonArray list = jwks.getJsonArray("keys", new JsonArray());
        for (Object o : list) {
            if (!(o instanceof JsonObject k) || !"RSA".equals(k.getString("kty")) || k.getString("kid") == null
                    || ("enc".equals(k.getString("use")))) {
                continue;
            }
            try {
                Base64.Decoder b64 = Base64.getUrlDecoder();
                RSAPublicKeySpec spec = new RSAPublicKeySpec(new BigInteger(1, b64.decode(k.getString("n"))),
                        new BigInteger(1, b64.decode(k.getString("e"))));
                out.put(k.getString("kid"), KeyFactory.getInstance("RSA").generatePublic(spec));
            } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
                // a key we cannot use is skipped; tokens signed with it are refused
            }
        }
        return new JwkSet(out);
    }

    public PublicKey key(String kid) {
        return kid == null ? null : keys.get(kid);
    }

    public int size() {
        return keys.size();
    }
}
