package io.lmaas.gateway.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;

/**
 * The RSA signing keys of a JWKS document ({@code {"keys":[...]}}), by key id, each parsed by nimbus-jose-jwt on
 * its own: a key that cannot be used (another type, encryption use, no id, malformed) is skipped, not the set. Pure.
 */
public final class JwkSet {
    private final Map<String, RSAPublicKey> keys;

    private JwkSet(Map<String, RSAPublicKey> keys) {
        this.keys = Map.copyOf(keys);
    }

    public static JwkSet parse(JsonObject jwks) {
        Map<String, RSAPublicKey> out = new HashMap<>();
        for (Object o : jwks.getJsonArray("keys", new JsonArray())) {
            if (!(o instanceof JsonObject k)) {
                continue;
            }
            try {
                if (JWK.parse(k.encode()) instanceof RSAKey rsa && rsa.getKeyID() != null
                        && !KeyUse.ENCRYPTION.equals(rsa.getKeyUse())) {
                    out.put(rsa.getKeyID(), rsa.toRSAPublicKey());
                }
            } catch (ParseException | JOSEException | IllegalArgumentException e) {
                // a key we cannot use is skipped; tokens signed with it are refused
            }
        }
        return new JwkSet(out);
    }

    public RSAPublicKey key(String kid) {
        return kid == null ? null : keys.get(kid);
    }

    public int size() {
        return keys.size();
    }
}
