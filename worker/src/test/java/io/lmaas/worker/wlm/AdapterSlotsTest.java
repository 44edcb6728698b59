package io.lmaas.worker.wlm;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which adapters a worker keeps: least recently used out, pinned ones kept, at most capacity − 1 pins, versions apart. */
class AdapterSlotsTest {

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    @Test
    void pinnedAdaptersStayWhileOthersTurnOver(@TempDir Path tmp) throws Exception {
        Path fixtures = Path.of(getClass().getResource("/decoder-fixtures/llama/config.json").toURI()).getParent().getParent();
        Path base = copy(fixtures.resolve("llama"), tmp.resolve("llama"));
        Files.writeString(base.resolve("serving.properties"), "max_loras=2\n");
        Path a = fixtures.resolve("llama-adapter-a");
        Path b = fixtures.resolve("llama-adapter-b");
        Path c = copy(b, tmp.resolve("adapter-c"));
        Path aNext = copy(a, tmp.resolve("adapter-a-v2"));
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(base)) {
            AdapterSlots slots = new AdapterSlots(runtime.adapters());
            slots.release(slots.acquire(new AdapterRef("a", a, true)));
            slots.release(slots.acquire(new AdapterRef("b", b, false)));
            // Both slots taken; "a" is the least recently used but pinned: "b" makes room for "c".
            slots.release(slots.acquire(new AdapterRef("c", c, false)));
            assertThat(slots.names()).containsExactly("a", "c");
            assertThat(slots.pinned()).containsExactly("a");

            // Two slots allow one pin: "b" asks to be pinned as well and is held like any other adapter.
            slots.release(slots.acquire(new AdapterRef("b", b, true)));
            assertThat(slots.names()).containsExactly("a", "b");
            assertThat(slots.pinned()).containsExactly("a");

            // A new version of "a" is a new entry; the pin moves to it and the old version ages out.
            slots.release(slots.acquire(new AdapterRef("a", aNext, true)));
            assertThat(slots.pinned()).containsExactly("a");
            slots.release(slots.acquire(new AdapterRef("c", c, false)));
            assertThat(slots.names()).containsExactly("a", "c");
            int loadsBefore = slots.loads();
            slots.release(slots.acquire(new AdapterRef("a", aNext, true)));
            assertThat(slots.loads()).as("the pinned new version is still loaded").isEqualTo(loadsBefore);

            // Unpinned by the operator: it turns over like the rest.
            slots.release(slots.acquire(new AdapterRef("a", aNext, false)));
            assertThat(slots.pinned()).isEmpty();
            slots.release(slots.acquire(new AdapterRef("c", c, false)));
            slots.release(slots.acquire(new AdapterRef("b", b, false)));
            assertThat(slots.names()).containsExactly("c", "b");
        }
    }
}
