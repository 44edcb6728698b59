package io.lmaas.core.crypto;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import io.lmaas.core.ids.Ids;
import java.security.InvalidAlgorithmParameterException;
import java.security.SecureRandom;

/**
 * A tenant's data key: 32 random bytes from which every artifact of the tenant is encrypted with AES-256-GCM in 1 MiB
 * segments (Tink's AES-GCM-HKDF streaming: a fresh key per file derived with HKDF-SHA256 from this key and a random
 * salt, each segment authenticated, truncation and reordering detected). Lives unwrapped only in memory.
 */
public final class DataKey {
    /** Key ids are {@code dk-} and 21 characters: fixed length, so a sealed file's header is too. */
    public static final int ID_LENGTH = 24;
    static final int SEGMENT = 1 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        NativeAesGcm.install(); // before any file is sealed or opened
    }

    private final String id;
    private final String tenantId;
    private final byte[] key;
    private final AesGcmHkdfStreaming streaming;

    DataKey(String id, String tenantId, byte[] key) {
        if (id.length() != ID_LENGTH || !id.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new IllegalArgumentException("a data key id is " + ID_LENGTH + " printable ASCII characters");
        }
        this.id = id;
        this.tenantId = tenantId;
        this.key = key.clone();
        try {
            this.streaming = new AesGcmHkdfStreaming(this.key, "HmacSha256", 32, SEGMENT, SealedFiles.PREFIX);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("AES-256-GCM-HKDF streaming is not available in this JVM", e);
        }
    }

    /** A new random key for {@code tenantId}. */
    static DataKey generate(String tenantId) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new DataKey("dk-" + Ids.random(ID_LENGTH - 3), tenantId, key);
    }

    /**
     * A key that never reaches the database, held only in this process's memory: a temporary file sealed with it is
     * unreadable once the process is gone (a download being sent), and tests and benchmarks use it.
     */
    public static DataKey ephemeral(String tenantId) {
        return generate(tenantId);
    }

    public String id() {
        return id;
    }

    public String tenantId() {
        return tenantId;
    }

    AesGcmHkdfStreaming streaming() {
        return streaming;
    }

    WrappedKey wrapWith(MasterKey master) {
        return new WrappedKey(id, tenantId, master.id(), master.wrap(id, tenantId, key));
    }

    /**
     * The key itself, for a child process the gateway starts to read or write a tenant's model (validation, merging):
     * only ever written to that child's stdin pipe, never to a file, an argument or the environment.
     */
    public io.vertx.core.json.JsonObject toPipe() {
        return new io.vertx.core.json.JsonObject().put("id", id).put("tenant", tenantId)
                .put("key", java.util.Base64.getEncoder().encodeToString(key));
    }

    /** The key {@link #toPipe} sent. */
    public static DataKey fromPipe(io.vertx.core.json.JsonObject json) {
        return new DataKey(json.getString("id"), json.getString("tenant"), java.util.Base64.getDecoder().decode(json.getString("key")));
    }

    @Override
    public String toString() {
        return "DataKey[" + id + ", tenant " + tenantId + "]"; // never the key
    }
}
