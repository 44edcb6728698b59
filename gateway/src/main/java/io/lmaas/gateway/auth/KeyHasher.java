package io.lmaas.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA-256 of key secrets under the server's hashing key; comparison in constant time. */
public final class KeyHasher {
    private final SecretKeySpec key;

    public KeyHasher(byte[] serverSecret) {
        if (serverSecret.length < 32) {
            throw new IllegalArgumentException("the key hashing secret must be at least 32 bytes");
        }
        this.key = new SecretKeySpec(serverSecret.clone(), "HmacSHA256");
    }

    public byte[] hash(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    public boolean matches(String secret, byte[] storedHash) {
        return MessageDigest.isEqual(hash(secret), storedHash);
    }
}
