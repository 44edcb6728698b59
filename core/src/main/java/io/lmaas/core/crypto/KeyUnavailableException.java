package io.lmaas.core.crypto;

/**
 * An encrypted artifact whose data key this process cannot have: destroyed with its tenant, unknown, or wrapped by a
 * master key this process does not hold. The content is unreadable, by design.
 */
public final class KeyUnavailableException extends RuntimeException {
    public KeyUnavailableException(String message) {
        super(message);
    }
}
