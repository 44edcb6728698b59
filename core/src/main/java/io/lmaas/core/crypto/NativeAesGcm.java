package io.lmaas.core.crypto;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-GCM from native code (Conscrypt's BoringSSL), first in the JCE's order for {@code AES/GCM/NoPadding} and for
 * nothing else: every sealed file (Tink's streaming AEAD) and wrapped key then goes through it. The JDK's own AES-GCM is
 * Java code that reaches its AES-NI and carry-less-multiply intrinsics only once C2 compiles it; worker processes run
 * C1 only (they start faster), where it seals and opens at ~50 MB/s, against ~3 GB/s native (docs/decisions/0025).
 *
 * <p>Only that one cipher is taken from the native provider, through a provider of its own that names it: TLS,
 * signatures, digests and random numbers stay the JDK's. It is installed only after it produced, for a fixed key, nonce
 * and message, the same ciphertext and tag as the JDK's AES-GCM; where it cannot load (another platform, the system
 * property {@value #PROPERTY} set to {@code false}) the JDK's stays, and files are the same either way.
 */
public final class NativeAesGcm {
    private static final Logger LOG = LoggerFactory.getLogger(NativeAesGcm.class);
    /** The system property that turns the native cipher off when {@code false}. */
    public static final String PROPERTY = "lmaas.crypto.native";
    static final String NAME = "LMaaS-native-AES-GCM";
    private static final String GCM = "AES/GCM/NoPadding";
    private static volatile Boolean installed;
    /** The provider installed, if any (tests take it out and put it back to check files cross both ways). */
    static volatile Provider provider;

    private NativeAesGcm() {
    }

    /** Installs the native AES-GCM once per process, if it loads and agrees with the JDK's; whether it is in use. */
    public static boolean install() {
        Boolean done = installed;
        if (done != null) {
            return done;
        }
        synchronized (NativeAesGcm.class) {
            if (installed == null) {
                installed = tryInstall();
            }
            return installed;
        }
    }

    /** The provider {@code AES/GCM/NoPadding} comes from now (for /health and tests). */
    public static String provider() {
        try {
            return Cipher.getInstance(GCM).getProvider().getName();
        } catch (GeneralSecurityException e) {
            return "none";
        }
    }

    private static boolean tryInstall() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            LOG.info("AES-GCM: the JDK's ({}=false)", PROPERTY);
            return false;
        }
        Provider.Service gcm;
        try {
            Provider conscrypt = (Provider) Class.forName("org.conscrypt.OpenSSLProvider").getConstructor().newInstance();
            gcm = conscrypt.getService("Cipher", GCM);
            if (gcm == null || !agrees(Cipher.getInstance(GCM, conscrypt))) {
                LOG.warn("AES-GCM: the native cipher is absent or disagrees with the JDK's; the JDK's is used");
                return false;
            }
        } catch (ReflectiveOperationException | LinkageError | GeneralSecurityException | RuntimeException e) {
            LOG.info("AES-GCM: no native cipher on this platform ({}); the JDK's is used", e.toString());
            return false;
        }
        provider = new OneCipher(gcm);
        Security.insertProviderAt(provider, 1);
        LOG.debug("AES-GCM: native ({})", gcm.getProvider().getName());
        return true;
    }

    /** Whether {@code candidate} seals a fixed message exactly as the JDK's AES-GCM does, and opens it back. */
    static boolean agrees(Cipher candidate) throws GeneralSecurityException {
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        byte[] message = new byte[1000];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 31 + 7);
        }
        Arrays.fill(key, (byte) 0x5a);
        Arrays.fill(nonce, (byte) 0x3c);
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        Cipher jdk = Cipher.getInstance(GCM, "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
        jdk.updateAAD(key, 0, 7);
        byte[] expected = jdk.doFinal(message);
        candidate.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
        candidate.updateAAD(key, 0, 7);
        byte[] sealed = candidate.doFinal(message);
        candidate.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, nonce));
        candidate.updateAAD(key, 0, 7);
        return Arrays.equals(expected, sealed) && Arrays.equals(message, candidate.doFinal(sealed));
    }

    /** A provider of one service: the native provider's {@code AES/GCM/NoPadding}, instantiated by it. */
    private static final class OneCipher extends Provider {
        private static final long serialVersionUID = 1L;

        OneCipher(Provider.Service gcm) {
            super(NAME, "1", "AES/GCM/NoPadding from " + gcm.getProvider().getName());
            putService(new Provider.Service(this, "Cipher", GCM, gcm.getClassName(), null, null) {
                @Override
                public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
                    return gcm.newInstance(parameter);
                }
            });
        }
    }
}
