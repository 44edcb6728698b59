package io.lmaas.core.crypto;

import static io.lmaas.core.testing.Bytes.indexOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.testing.TempDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sealed-file format: ciphertext on disk, plaintext back by stream and by random access, tampering and wrong keys refused. */
class SealedFilesTest {
    private final Path dir = TempDirs.create("sealed");

    @AfterEach
    void tearDown() {
        TempDirs.delete(dir);
    }

    private static byte[] content(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        byte[] marker = "zqx-sealed-marker".getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at + marker.length <= size; at += 100_000) {
            System.arraycopy(marker, 0, b, at, marker.length); // a marker every 100 kB: none may survive on disk
        }
        return b;
    }

    private Path seal(byte[] plain, DataKey key) throws IOException {
        Path f = dir.resolve("f-" + plain.length);
        try (OutputStream out = Artifacts.newOutputStream(f, key)) {
            out.write(plain);
        }
        return f;
    }

    @Test
    void whatIsSealedIsCiphertextOnDiskAndReadsBackWholeOrAtAnyPosition() throws Exception {
        DataKey key = DataKey.ephemeral("tn-a");
        Artifacts.hold(key);
        for (int size : new int[] {0, 1, (1 << 20) - 40, 1 << 20, 3 * (1 << 20) + 12345}) {
            byte[] plain = content(size);
            Path f = seal(plain, key);
            byte[] disk = Files.readAllBytes(f);
            assertThat(SealedFiles.keyId(f)).contains(key.id());
            assertThat(indexOf(disk, "zqx-sealed-marker".getBytes(StandardCharsets.US_ASCII))).as("marker on disk").isEqualTo(-1);
            assertThat(Artifacts.readAllBytes(f)).isEqualTo(plain);
            try (SeekableByteChannel c = Artifacts.channel(f)) {
                assertThat(c.size()).isEqualTo(size);
                for (long at : new long[] {0, size / 2, Math.max(0, size - 7), Math.max(0, (1 << 20) - 3)}) {
                    if (at >= size) {
                        continue;
                    }
                    ByteBuffer b = ByteBuffer.allocate((int) Math.min(4096, size - at));
                    c.position(at);
                    while (b.hasRemaining() && c.read(b) > 0) {
                        // fill
                    }
                    assertThat(b.array()).isEqualTo(Arrays.copyOfRange(plain, (int) at, (int) at + b.capacity()));
                }
            }
        }
    }

    @Test
    void plaintextFilesReadAsTheyAreAndCopiesNeverDecryptToDisk() throws Exception {
        Path plain = dir.resolve("plain.json");
        Files.writeString(plain, "{\"starter\": true}");
        assertThat(Artifacts.sealed(plain)).isFalse();
        assertThat(Artifacts.readString(plain)).isEqualTo("{\"starter\": true}");

        DataKey key = DataKey.ephemeral("tn-b");
        Artifacts.hold(key);
        Path sealed = seal("secret training text".getBytes(StandardCharsets.UTF_8), key);
        Path copy = dir.resolve("copy");
        Artifacts.copy(sealed, copy); // this process writes with no key: the bytes are copied as they are
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(sealed));
        assertThat(Artifacts.readString(copy)).isEqualTo("secret training text");
    }

    @Test
    void aTamperedFileAnotherTenantsKeyAndAnUnknownKeyAreRefused() throws Exception {
        DataKey key = DataKey.ephemeral("tn-c");
        Artifacts.hold(key);
        Path f = seal(content(200_000), key);
        byte[] disk = Files.readAllBytes(f);
        disk[disk.length / 2] ^= 1;
        Path tampered = dir.resolve("tampered");
        Files.write(tampered, disk);
        assertThatThrownBy(() -> Artifacts.readAllBytes(tampered)).isInstanceOf(IOException.class);

        DataKey other = DataKey.ephemeral("tn-d");
        assertThatThrownBy(() -> Artifacts.newInputStream(f, other)).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("another key");

        DataKey never = DataKey.ephemeral("tn-e"); // never held by this process
        Path unknown = seal(content(10), never);
        assertThatThrownBy(() -> Artifacts.readAllBytes(unknown)).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining(never.id());
        try (InputStream in = Artifacts.newInputStream(unknown, never)) {
            assertThat(in.readAllBytes()).isEqualTo(content(10));
        }
    }
}
