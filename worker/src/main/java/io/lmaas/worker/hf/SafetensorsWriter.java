package io.lmaas.worker.hf;

import io.lmaas.core.crypto.Artifacts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes float32 tensors as a safetensors file (an 8-byte header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the little-endian data), atomically: a crash leaves no half-written file.
 */
public final class SafetensorsWriter {
    /** A named tensor: shape and values (row-major). */
    public record Tensor(long[] shape, float[] values) {
    }

    private SafetensorsWriter() {
    }

    /** Where a tensor's values go, in chunks, in order. */
    @FunctionalInterface
    public interface FloatSink {
        void put(float[] values, int n) throws IOException;
    }

    /** Gives each tensor's values when its turn comes (so a file larger than memory can be written). */
    @FunctionalInterface
    public interface Source {
        void write(String name, FloatSink sink) throws IOException;
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((name, t) -> shapes.put(name, t.shape()));
        write(file, shapes, metadata, (name, sink) -> sink.put(tensors.get(name).values(), tensors.get(name).values().length));
    }

    /** Writes the tensors {@code shapes} names, in its order, their values streamed from {@code source}. */
    public static void write(Path file, Map<String, long[]> shapes, Map<String, String> metadata, Source source) throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new JsonObject(new LinkedHashMap<>(metadata)));
        }
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = 4L * count(e.getValue());
            JsonArray shape = new JsonArray();
            for (long d : e.getValue()) {
                shape.add(d);
            }
            header.put(e.getKey(), new JsonObject().put("dtype", "F32").put("shape", shape)
                    .put("data_offsets", new JsonArray().add(offset).add(offset + bytes)));
            offset += bytes;
        }
        byte[] json = header.encode().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Artifacts.newOutputStream(tmp), 1 << 20)) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                out.write(json);
                for (int i = json.length; i < padded; i++) {
                    out.write(' ');
                }
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                    long[] written = {0};
                    source.write(e.getKey(), (values, n) -> {
                        for (int i = 0; i < n; i++) {
                            if (!chunk.hasRemaining()) {
                                out.write(chunk.array(), 0, chunk.position());
                                chunk.clear();
                            }
                            chunk.putFloat(values[i]);
                        }
                        written[0] += n;
                    });
                    if (written[0] != count(e.getValue())) {
                        throw new IOException(e.getKey() + ": " + written[0] + " values written for a shape of " + count(e.getValue()));
                    }
                }
                out.write(chunk.array(), 0, chunk.position());
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
