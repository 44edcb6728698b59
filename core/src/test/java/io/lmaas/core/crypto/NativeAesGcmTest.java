package io.lmaas.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.testing.TempDirs;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.Security;
import java.util.Random;
import javax.crypto.Cipher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The native AES-GCM is what seals files on this platform (Linux x86-64, as CI and the worker images), and files cross
 * between it and the JDK's cipher both ways: a file sealed by either opens with the other.
 */
class NativeAesGcmTest {
    private final Path dir = TempDirs.create("native-gcm");

    @AfterEach
    void tearDown() {
        if (NativeAesGcm.provider != null && Security.getProvider(NativeAesGcm.NAME) == null) {
            Security.insertProviderAt(NativeAesGcm.provider, 1);
        }
        TempDirs.delete(dir);
    }

    @Test
    void theNativeCipherIsInstalledAndAgreesWithTheJdks() throws Exception {
        DataKey.ephemeral("tn-a"); // its class installs the cipher
        assertThat(NativeAesGcm.install()).isTrue();
        assertThat(NativeAesGcm.provider()).isEqualTo(NativeAesGcm.NAME);
        assertThat(Security.getProviders()[0].getServices()).hasSize(1); // that one cipher, nothing else
        assertThat(NativeAesGcm.agrees(Cipher.getInstance("AES/GCM/NoPadding"))).isTrue();
    }

    @Test
    void filesCrossBetweenTheNativeAndTheJdksCipherBothWays() throws Exception {
        DataKey key = DataKey.ephemeral("tn-a");
        Artifacts.hold(key);
        assertThat(NativeAesGcm.install()).isTrue();
        byte[] plain = new byte[(1 << 20) * 2 + 4321]; // three segments, the last partial
        new Random(7).nextBytes(plain);
        Path nativeSealed = seal("native", plain, key);

        Security.removeProvider(NativeAesGcm.NAME);
        assertThat(NativeAesGcm.provider()).isEqualTo("SunJCE");
        assertThat(Artifacts.readAllBytes(nativeSealed)).isEqualTo(plain);
        Path jdkSealed = seal("jdk", plain, key);

        Security.insertProviderAt(NativeAesGcm.provider, 1);
        assertThat(NativeAesGcm.provider()).isEqualTo(NativeAesGcm.NAME);
        assertThat(Artifacts.readAllBytes(jdkSealed)).isEqualTo(plain);
    }

    private Path seal(String name, byte[] plain, DataKey key) throws Exception {
        Path f = dir.resolve(name);
        try (OutputStream out = Artifacts.newOutputStream(f, key)) {
            out.write(plain);
        }
        return f;
    }
}
