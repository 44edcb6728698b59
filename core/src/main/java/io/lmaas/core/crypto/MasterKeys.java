package io.lmaas.core.crypto;

import io.lmaas.core.config.ConfigException;
import io.lmaas.core.secrets.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The master key data keys are wrapped with now, and the previous ones still accepted to unwrap during a rotation.
 * An operator gives them in the environment — {@value #ENV} (base64) or {@value #FILE_ENV} (a file holding it: a
 * mounted Kubernetes Secret), and {@value #PREVIOUS_ENV} / {@value #PREVIOUS_FILE_ENV} (comma- or line-separated) —
 * never on the command line. Local mode generates one in its data directory ({@code master.key}, mode 600).
 * Rotation: give the new key as current and the old one as previous everywhere, rewrap
 * ({@code POST /admin/v1/encryption/rewrap}), then drop the previous one.
 */
public record MasterKeys(MasterKey current, List<MasterKey> previous) {
    public static final String ENV = "LMAAS_MASTER_KEY";
    public static final String FILE_ENV = "LMAAS_MASTER_KEY_FILE";
    public static final String PREVIOUS_ENV = "LMAAS_MASTER_KEY_PREVIOUS";
    public static final String PREVIOUS_FILE_ENV = "LMAAS_MASTER_KEY_PREVIOUS_FILE";
    /** Local mode's master key in its data directory. */
    public static final String LOCAL_FILE = "master.key";

    public MasterKeys {
        previous = List.copyOf(previous);
    }

    /** The keys the environment names, or empty when it names none. A malformed key is a configuration error. */
    public static Optional<MasterKeys> fromEnvironment(Map<String, String> env) {
        List<MasterKey> current = keys(env, ENV, FILE_ENV);
        if (current.isEmpty()) {
            return Optional.empty();
        }
        if (current.size() != 1) {
            throw new ConfigException(ENV + " holds one master key (put older ones in " + PREVIOUS_ENV + ")");
        }
        return Optional.of(new MasterKeys(current.get(0), keys(env, PREVIOUS_ENV, PREVIOUS_FILE_ENV)));
    }

    /** The environment's keys, or else local mode's {@code master.key} in {@code dataDir}, created (mode 600) if missing. */
    public static MasterKeys fromEnvironmentOrLocal(Map<String, String> env, Path dataDir) {
        return fromEnvironment(env).orElseGet(() -> {
            try {
                return new MasterKeys(MasterKey.parse(Secrets.readOrCreate(dataDir.resolve(LOCAL_FILE), MasterKey.BYTES)), List.of());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the local master key in " + dataDir, e);
            }
        });
    }

    /**
     * One random master key per JVM, never written anywhere: for gateways started without a configured key (tests,
     * embedded use); everything they seal is readable only while this JVM runs.
     */
    public static MasterKeys processEphemeral() {
        return Ephemeral.KEYS;
    }

    private static final class Ephemeral {
        static final MasterKeys KEYS = new MasterKeys(MasterKey.parse(Secrets.random(MasterKey.BYTES)), List.of());
    }

    /** The one that wrapped a key recorded as wrapped by {@code id}, if this process holds it. */
    public Optional<MasterKey> byId(String id) {
        if (current.id().equals(id)) {
            return Optional.of(current);
        }
        return previous.stream().filter(k -> k.id().equals(id)).findFirst();
    }

    /** A wrapped data key opened with the master key that wrapped it. */
    public DataKey unwrap(WrappedKey w) {
        MasterKey master = byId(w.masterKeyId()).orElseThrow(() -> new KeyUnavailableException("data key " + w.id()
                + " is wrapped by master key " + w.masterKeyId() + ", which this process does not hold"));
        try {
            return new DataKey(w.id(), w.tenantId(), master.unwrap(w.id(), w.tenantId(), w.wrapped()));
        } catch (GeneralSecurityException e) {
            throw new KeyUnavailableException("data key " + w.id() + " does not open with master key " + w.masterKeyId());
        }
    }

    private static List<MasterKey> keys(Map<String, String> env, String valueVar, String fileVar) {
        List<String> texts = new ArrayList<>();
        String value = env.get(valueVar);
        if (value != null && !value.isBlank()) {
            texts.add(value);
        }
        String file = env.get(fileVar);
        if (file != null && !file.isBlank()) {
            try {
                texts.add(Files.readString(Path.of(file)));
            } catch (IOException e) {
                throw new ConfigException(fileVar + " names " + file + ", which cannot be read: " + e.getMessage());
            }
        }
        List<MasterKey> out = new ArrayList<>();
        for (String text : texts) {
            for (String part : text.split("[,\\s]+")) {
                if (!part.isBlank()) {
                    try {
                        out.add(MasterKey.parse(part));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(valueVar + ": " + e.getMessage());
                    }
                }
            }
        }
        return out;
    }
}
