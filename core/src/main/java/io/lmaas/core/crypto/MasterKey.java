package io.lmaas.core.crypto;

import com.google.crypto.tink.subtle.AesGcmJce;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

/**
 * An operator's master key: 32 bytes (AES-256) that wrap the tenants' data keys and encrypt nothing else. Its id is the
 * first 8 bytes of its SHA-256, in hex: what a wrapped data key records to say which master key wrapped it (so a
 * rotation knows what to rewrap) without saying anything about the key.
 */
public final class MasterKey {
    static final int BYTES = 32;

    private final String id;
    private final AesGcmJce aead;

    private MasterKey(byte[] key) throws GeneralSecurityException {
        this.id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 8);
        this.aead = new AesGcmJce(key);
    }

    /** A master key from its base64 (standard or URL alphabet) form; anything but 32 bytes is refused. */
    public static MasterKey parse(String base64) {
        byte[] key;
        try {
            String s = base64.strip();
            key = s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(s) : Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a master key is 32 bytes in base64; this one is not base64");
        }
        if (key.length != BYTES) {
            throw new IllegalArgumentException("a master key is 32 bytes in base64; this one is " + key.length + " bytes");
        }
        try {
            return new MasterKey(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
        }
    }

    public String id() {
        return id;
    }

    /** {@code dataKey} encrypted (AES-256-GCM, random nonce) and bound to its key id and tenant. */
    byte[] wrap(String keyId, String tenantId, byte[] dataKey) {
        try {
            return aead.encrypt(dataKey, context(keyId, tenantId));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("wrapping data key " + keyId + " failed", e);
        }
    }

    /** The data key {@link #wrap} wrapped; a wrong master key, key id or tenant fails authentication. */
    byte[] unwrap(String keyId, String tenantId, byte[] wrapped) throws GeneralSecurityException {
        return aead.decrypt(wrapped, context(keyId, tenantId));
    }

    private static byte[] context(String keyId, String tenantId) {
        return ("lmaas-data-key\0" + keyId + "\0" + tenantId).getBytes(StandardCharsets.UTF_8);
    }
}
