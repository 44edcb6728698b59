package io.lmaas.core.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;

/**
 * The on-disk form of an encrypted artifact: {@code LMAASENC}, the 24-character id of the data key, then Tink's
 * streaming ciphertext (its header, then 1 MiB segments, each with a 16-byte GCM tag) with the 32-byte prefix as
 * associated data. A file that does not start with the magic is plaintext (the platform's own models). Streams and
 * random-access channels both decrypt in memory; nothing decrypted is written anywhere.
 */
public final class SealedFiles {
    /** Magic and key id: where Tink's ciphertext starts. */
    public static final int PREFIX = 32;
    private static final byte[] MAGIC = "LMAASENC".getBytes(StandardCharsets.US_ASCII);

    private SealedFiles() {
    }

    /** The data key id a sealed file names, or empty for a plaintext file (or one shorter than the prefix). */
    public static Optional<String> keyId(Path file) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            return keyId(c);
        }
    }

    /** The same, read from the start of an open file (its position is left after what was read). */
    static Optional<String> keyId(FileChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(PREFIX);
        c.position(0);
        while (b.hasRemaining() && c.read(b) > 0) {
            // read the prefix
        }
        return b.hasRemaining() ? Optional.empty() : keyId(b.array());
    }

    static Optional<String> keyId(byte[] prefix) {
        if (!Arrays.equals(prefix, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        return Optional.of(new String(prefix, MAGIC.length, DataKey.ID_LENGTH, StandardCharsets.US_ASCII));
    }

    /** Writes the prefix to {@code raw} and returns the stream that encrypts what is written to it into {@code raw}. */
    public static OutputStream seal(OutputStream raw, DataKey key) throws IOException {
        byte[] prefix = prefix(key);
        raw.write(prefix);
        try {
            return key.streaming().newEncryptingStream(raw, prefix);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encrypt with " + key, e);
        }
    }

    /** The plaintext of a sealed stream whose prefix {@code afterPrefix} has already consumed. */
    static InputStream open(InputStream afterPrefix, DataKey key) throws IOException {
        try {
            return key.streaming().newDecryptingStream(afterPrefix, prefix(key));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot decrypt with " + key, e);
        }
    }

    /** Random access to a sealed file's plaintext; {@code raw} is the whole file. */
    static SeekableByteChannel channel(SeekableByteChannel raw, DataKey key) throws IOException {
        try {
            return key.streaming().newSeekableDecryptingChannel(raw, prefix(key));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot decrypt with " + key, e);
        }
    }

    private static byte[] prefix(DataKey key) {
        byte[] prefix = Arrays.copyOf(MAGIC, PREFIX);
        byte[] id = key.id().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(id, 0, prefix, MAGIC.length, DataKey.ID_LENGTH);
        return prefix;
    }
}
