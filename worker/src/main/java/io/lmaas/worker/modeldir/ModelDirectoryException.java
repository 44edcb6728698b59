package io.lmaas.worker.modeldir;

/** A model version directory is incomplete or inconsistent; the message says what and where. */
public final class ModelDirectoryException extends RuntimeException {
    public ModelDirectoryException(String message) {
        super(message);
    }

    public ModelDirectoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
