package io.lmaas.core.crypto;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Reading and writing artifact files whether they are sealed (a tenant's, encrypted with its data key) or plaintext
 * (the platform's own models), so a model loader or trainer reads a tenant's model exactly as it reads a starter.
 * Readers find the data key by the id in the file's header among the keys this process holds ({@link #hold}) or can
 * fetch ({@link #resolveWith}); a key it cannot have fails with {@link KeyUnavailableException}. Writers seal with
 * the key given, or in a job process with the key of the tenant the job works for ({@link #writeWith}).
 */
public final class Artifacts {
    private static final Map<String, DataKey> HELD = new ConcurrentHashMap<>();
    private static final List<Function<String, DataKey>> RESOLVERS = new CopyOnWriteArrayList<>();
    private static volatile DataKey writeKey;

    private Artifacts() {
    }

    /** A key this process may read with (a worker's tenant key, an adapter's). */
    public static void hold(DataKey key) {
        HELD.put(key.id(), key);
    }

    /** Whether this process holds the key {@code id} already. */
    public static boolean holds(String id) {
        return HELD.containsKey(id);
    }

    /**
     * A source of keys this process does not hold (a database: a job's tenant keys, a gateway's), answering null for
     * ids it does not know; sources are asked in turn, one that fails counts as not knowing. Returns what removes it.
     */
    public static Runnable resolveWith(Function<String, DataKey> keys) {
        RESOLVERS.add(keys);
        return () -> RESOLVERS.remove(keys);
    }

    /** The key everything this process writes through {@link #newOutputStream(Path)} is sealed with (a job process). */
    public static void writeWith(DataKey key) {
        writeKey = key;
    }

    /** The key writes are sealed with, if any. */
    public static Optional<DataKey> writeKey() {
        return Optional.ofNullable(writeKey);
    }

    /** The plaintext of {@code file}, sealed or not. */
    public static InputStream newInputStream(Path file) throws IOException {
        return newInputStream(file, null);
    }

    /**
     * The plaintext of {@code file}; a sealed file must be sealed with {@code expected} when it is given (the tenant's
     * key: a file of another tenant is refused), else with a key this process holds or resolves.
     */
    public static InputStream newInputStream(Path file, DataKey expected) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            byte[] prefix = raw.readNBytes(SealedFiles.PREFIX);
            Optional<String> id = SealedFiles.keyId(prefix);
            if (id.isEmpty()) {
                return new SequenceInputStream(new ByteArrayInputStream(prefix), raw);
            }
            return SealedFiles.open(raw, key(file, id.get(), expected));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** Random access to the plaintext of {@code file}, sealed or not. */
    public static SeekableByteChannel channel(Path file) throws IOException {
        FileChannel raw = FileChannel.open(file, StandardOpenOption.READ);
        try {
            Optional<String> id = SealedFiles.keyId(raw);
            if (id.isEmpty()) {
                return raw.position(0);
            }
            return SealedFiles.channel(raw, key(file, id.get(), null));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    public static byte[] readAllBytes(Path file) throws IOException {
        try (InputStream in = newInputStream(file)) {
            return in.readAllBytes();
        }
    }

    public static String readString(Path file) throws IOException {
        return new String(readAllBytes(file), StandardCharsets.UTF_8);
    }

    public static BufferedReader newBufferedReader(Path file) throws IOException {
        return newBufferedReader(file, null);
    }

    /** A UTF-8 reader of the plaintext (malformed input fails, as {@link Files#newBufferedReader} does). */
    public static BufferedReader newBufferedReader(Path file, DataKey expected) throws IOException {
        return new BufferedReader(new InputStreamReader(newInputStream(file, expected),
                StandardCharsets.UTF_8.newDecoder()), 1 << 16);
    }

    /** A new file, sealed with the process's write key when it has one ({@link #writeWith}), plaintext otherwise. */
    public static OutputStream newOutputStream(Path file) throws IOException {
        return newOutputStream(file, writeKey);
    }

    /** A new file (replacing one), sealed with {@code key}, or plaintext when {@code key} is null. */
    public static OutputStream newOutputStream(Path file, DataKey key) throws IOException {
        OutputStream raw = Files.newOutputStream(file);
        if (key == null) {
            return raw;
        }
        try {
            return SealedFiles.seal(raw, key);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    public static void writeString(Path file, String text) throws IOException {
        try (OutputStream out = newOutputStream(file)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Copies {@code from} to a new {@code to}, sealed with the process's write key when it has one. Without a write key,
     * or when {@code from} is already sealed with it, the bytes are copied as they are: a copy never decrypts to disk.
     */
    public static void copy(Path from, Path to) throws IOException {
        DataKey key = writeKey;
        Optional<String> sealedWith = SealedFiles.keyId(from);
        if (key == null || sealedWith.isPresent() && sealedWith.get().equals(key.id())) {
            Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try (InputStream in = newInputStream(from); OutputStream out = newOutputStream(to, key)) {
            in.transferTo(out);
        }
    }

    /**
     * The key a sealed file — or, for a directory, its first sealed file — is sealed with, from the keys this process
     * holds or resolves; empty for plaintext.
     */
    public static Optional<DataKey> keyFor(Path fileOrDirectory) throws IOException {
        Optional<String> id = Files.isDirectory(fileOrDirectory) ? ModelKeys.sealedWith(fileOrDirectory)
                : SealedFiles.keyId(fileOrDirectory);
        return id.isEmpty() ? Optional.empty() : Optional.of(key(fileOrDirectory, id.get(), null));
    }

    /** Whether {@code file} is sealed. */
    public static boolean sealed(Path file) throws IOException {
        return SealedFiles.keyId(file).isPresent();
    }

    private static DataKey key(Path file, String id, DataKey expected) {
        if (expected != null) {
            if (!expected.id().equals(id)) {
                throw new KeyUnavailableException(file.getFileName() + " is sealed with another key than " + expected.id());
            }
            return expected;
        }
        DataKey key = HELD.get(id);
        for (Function<String, DataKey> source : RESOLVERS) {
            if (key != null) {
                break;
            }
            try {
                key = source.apply(id);
            } catch (RuntimeException e) {
                key = null; // that source cannot say (another platform's database, closed): ask the next
            }
        }
        if (key == null) {
            throw new KeyUnavailableException(file.getFileName() + " is sealed with data key " + id
                    + ", which this process does not hold (destroyed with its tenant, or never given)");
        }
        return key;
    }

}
