package io.lmaas.core.secrets;

import io.lmaas.core.config.ConfigException;
import io.lmaas.core.config.Settings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The internal credential every worker requires ({@code Authorization: Bearer <token>}) and only the gateway
 * and the scheduler hold. It reaches a process through the environment ({@value #ENV}), never the command
 * line ({@code ps} shows that to every user of the machine). Comparison is constant-time.
 */
public final class WorkerToken {
    /** The environment variable that carries the token. */
    public static final String ENV = "LMAAS_WORKER_TOKEN";
    /** The same, as a setting ({@code LMAAS_WORKER_TOKEN} becomes {@code worker-token}). */
    public static final String SETTING = "worker-token";
    static final int MIN_LENGTH = 16;
    private static final String BEARER = "Bearer ";

    private WorkerToken() {
    }

    /** A fresh token: 32 random bytes. */
    public static String generate() {
        return Secrets.random(32);
    }

    /** The token if it is usable (at least 16 characters); otherwise the reason it is not. */
    public static String requireValid(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("no worker token: set " + ENV + " in the environment (never on the command line)");
        }
        if (token.strip().length() < MIN_LENGTH) {
            throw new IllegalArgumentException(ENV + " must be at least " + MIN_LENGTH + " characters");
        }
        return token.strip();
    }

    /** The token from the settings ({@code LMAAS_WORKER_TOKEN}); a missing or short one is a configuration error. */
    public static String from(Settings settings) {
        try {
            return requireValid(settings.optional(SETTING).orElse(null));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** The {@code Authorization} header value that carries the token. */
    public static String header(String token) {
        return BEARER + token;
    }

    /**
     * Whether an {@code Authorization} header carries {@code token}. Both sides are hashed first, so the
     * comparison takes the same time whatever the header's length or content.
     */
    public static boolean matches(String token, String authorization) {
        if (token == null || token.isEmpty() || authorization == null) {
            return false;
        }
        return MessageDigest.isEqual(sha256(header(token)), sha256(authorization));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
