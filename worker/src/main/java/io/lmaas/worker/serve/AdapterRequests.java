package io.lmaas.worker.serve;

import io.lmaas.core.crypto.KeyUnavailableException;
import io.lmaas.core.crypto.ProcessKeys;
import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.worker.wlm.AdapterRef;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/** The LoRA adapter a worker request names, checked: the one reading of the gateway's {@code adapter} field. */
final class AdapterRequests {
    private AdapterRequests() {
    }

    /**
     * The adapter {@code spec} names ({@code {"name", "path", "pinned", "data_key"}}, set by the gateway), or null. Its
     * directory must lie under the worker's adapters root: a worker reads no other path a request names. A tenant's
     * wrapped data key is opened and held so the adapter's sealed files can be read. IllegalArgumentException otherwise.
     */
    static AdapterRef parse(JsonObject spec, Path adaptersRoot) {
        if (spec == null) {
            return null;
        }
        String name = spec.getString("name");
        String path = spec.getString("path");
        if (name == null || name.isBlank() || path == null) {
            throw new IllegalArgumentException("adapter needs a name and a path");
        }
        if (adaptersRoot == null) {
            throw new IllegalArgumentException("this worker serves no adapters");
        }
        JsonObject key = spec.getJsonObject("data_key");
        if (key != null) {
            try {
                ProcessKeys.hold(WrappedKey.fromJson(key)); // the adapter's tenant's
            } catch (KeyUnavailableException e) {
                throw new IllegalArgumentException("adapter " + name + ": " + e.getMessage());
            }
        }
        Path dir = Path.of(path).toAbsolutePath().normalize();
        if (!dir.startsWith(adaptersRoot)) {
            throw new IllegalArgumentException("adapter " + name + " is not under this worker's adapters root");
        }
        Object pinned = spec.getValue("pinned", false);
        if (!(pinned instanceof Boolean p)) {
            throw new IllegalArgumentException("adapter.pinned must be true or false");
        }
        return new AdapterRef(name, dir, p);
    }
}
