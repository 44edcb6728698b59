package io.lmaas.core.secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Secrets of local mode, kept in the data directory, readable by the owner only (mode 600). */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    /** {@code bytes} random bytes, base64url without padding (safe in URLs, headers and SQL literals). */
    public static String random(int bytes) {
        byte[] raw = new byte[bytes];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** The file's content, created with {@code bytes} random bytes (base64url) if it does not exist. */
    public static String readOrCreate(Path file, int bytes) throws IOException {
        if (!Files.exists(file)) {
            Path tmp = temporary(file, random(bytes));
            try {
                Files.move(tmp, file);
            } catch (FileAlreadyExistsException e) {
                Files.delete(tmp);
            }
        }
        return read(file);
    }

    /** Writes {@code value} to the file (mode 600), replacing it atomically if it exists. */
    public static void write(Path file, String value) throws IOException {
        Files.move(temporary(file, value), file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The file's content (trimmed), after making sure only its owner can read it. */
    public static String read(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return Files.readString(file, StandardCharsets.UTF_8).trim();
    }

    private static Path temporary(Path file, String value) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".secret", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, value + "\n", StandardCharsets.UTF_8);
        return tmp;
    }
}
