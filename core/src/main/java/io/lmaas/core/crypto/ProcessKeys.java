package io.lmaas.core.crypto;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;

/**
 * The keys a worker process holds: the master keys from its environment, and the tenants' data keys it is handed
 * wrapped — the one of the model it serves ({@value WrappedKey#ENV}), an adapter's with the request that needs it —
 * opened into {@link Artifacts} in memory. A worker never reads the database for keys.
 */
public final class ProcessKeys {
    private static volatile MasterKeys masters;

    private ProcessKeys() {
    }

    /** Takes the master keys and the served model's data key (if any) from {@code env}. */
    public static void install(Map<String, String> env) {
        masters = MasterKeys.fromEnvironment(env).orElse(null);
        String served = env.get(WrappedKey.ENV);
        if (served != null && !served.isBlank()) {
            hold(WrappedKey.fromJson(new JsonObject(served)));
        }
    }

    /** Opens {@code key} with this process's master keys and holds it for reading (once: every adapter request names it). */
    public static void hold(WrappedKey key) {
        if (Artifacts.holds(key.id())) {
            return;
        }
        MasterKeys m = masters;
        if (m == null) {
            throw new KeyUnavailableException("data key " + key.id() + " needs a master key, and this process was given none ("
                    + MasterKeys.ENV + " or " + MasterKeys.FILE_ENV + ")");
        }
        Artifacts.hold(m.unwrap(key));
    }

    public static Optional<MasterKeys> masters() {
        return Optional.ofNullable(masters);
    }
}
