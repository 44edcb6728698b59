package io.lmaas.worker.wlm;

import java.nio.file.Path;

/** A LoRA adapter a request runs with: its model name (the cache key) and its directory (PEFT layout). */
public record AdapterRef(String name, Path dir) {
}
