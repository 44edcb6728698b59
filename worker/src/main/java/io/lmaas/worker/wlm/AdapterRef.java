package io.lmaas.worker.wlm;

import java.nio.file.Path;

/**
 * A LoRA adapter a request runs with: its model name, its directory (PEFT layout; a new version is a new directory) and
 * whether the operator pinned it (kept loaded, never evicted as least recently used).
 */
public record AdapterRef(String name, Path dir, boolean pinned) {
    public AdapterRef(String name, Path dir) {
        this(name, dir, false);
    }
}
