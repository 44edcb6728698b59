package io.lmaas.gateway.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelArchiveTest {
    private static Path zip(Path dir, Map<String, String> entries) throws Exception {
        Path zip = dir.resolve("m" + System.nanoTime() + ".zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return zip;
    }

    @Test
    void unpacksFlatOrOneTopFolder(@TempDir Path tmp) throws Exception {
        Path flat = ModelArchive.unpack(zip(tmp, Map.of("serving.properties", "a", "model.pt", "b")), tmp.resolve("flat"), 1 << 20);
        assertThat(flat).isEqualTo(tmp.resolve("flat"));
        assertThat(Files.readString(flat.resolve("model.pt"))).isEqualTo("b");
        Path nested = ModelArchive.unpack(zip(tmp, Map.of("v1/serving.properties", "a", "v1/model.pt", "b")), tmp.resolve("nested"), 1 << 20);
        assertThat(nested).isEqualTo(tmp.resolve("nested").resolve("v1"));
    }

    @Test
    void refusesEscapesBombsAndNonZips(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> ModelArchive.unpack(zip(tmp, Map.of("../evil.sh", "x")), tmp.resolve("a"), 1 << 20))
                .isInstanceOf(ModelArchive.Invalid.class).hasMessageContaining("outside");
        assertThat(tmp.resolve("evil.sh")).doesNotExist();
        assertThatThrownBy(() -> ModelArchive.unpack(zip(tmp, Map.of("big.bin", "x".repeat(5000))), tmp.resolve("b"), 4096))
                .isInstanceOf(ModelArchive.Invalid.class).hasMessageContaining("more than");
        Path text = Files.writeString(tmp.resolve("not.zip"), "hello");
        assertThatThrownBy(() -> ModelArchive.unpack(text, tmp.resolve("c"), 1 << 20)).isInstanceOf(ModelArchive.Invalid.class);
    }
}
