package io.lmaas.worker.hf;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a safetensors file's float tensors as float32, whatever they are stored as (F32, F16, BF16), one tensor (or
 * one part of a tensor) at a time by positioned reads, so a shard is never held twice and half-precision conversion
 * happens in Java (libtorch's bfloat16 buffers crashed the JVM when handed over raw). Integer buffers (position ids) are skipped; an integer
 * {@code .weight} or {@code .bias} is refused. Pure file reading, no native calls.
 */
public final class SafetensorsReader {
    private static final long MAX_HEADER = 100L << 20;

    /** Fills {@code into} from {@code at} (a sealed file's channel decrypts in memory what it reads). */
    private static void read(SeekableByteChannel channel, ByteBuffer into, long at) throws IOException {
        channel.position(at);
        while (into.hasRemaining() && channel.read(into) >= 0) {
            // until full or at the end
        }
    }

    /** One tensor: its shape, its values in float32, and the dtype it was stored as. */
    public record Tensor(long[] shape, float[] values, String storedAs) {
    }

    private SafetensorsReader() {
    }

    /** Every float tensor of {@code file}, in order. */
    public static Map<String, Tensor> read(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        read(file, out::put);
        return out;
    }

    /**
     * Hands each float tensor to {@code sink} as soon as it is converted, so only one tensor's float32 copy is on the
     * Java heap at a time.
     */
    public static void read(Path file, java.util.function.BiConsumer<String, Tensor> sink) {
        entries(file, (channel, e) -> {
            float[] values = new float[(int) e.count()];
            java.nio.FloatBuffer into = java.nio.FloatBuffer.wrap(values);
            e.copy(channel, 0, values.length, into, ByteBuffer.allocate(values.length * e.width()).order(ByteOrder.LITTLE_ENDIAN));
            sink.accept(e.name(), new Tensor(e.shape(), values, e.storedAs()));
        });
    }

    /** A float tensor's place in the file: read its elements with {@link #copy}. */
    public record Entry(String file, String name, long[] shape, String dtype, long offset, long count) {
        /** Bytes per stored element. */
        public int width() {
            return dtype.equals("F32") ? 4 : 2;
        }

        public String storedAs() {
            return switch (dtype) {
                case "F16" -> "float16";
                case "BF16" -> "bfloat16";
                default -> "float32";
            };
        }

        /**
         * Reads elements {@code [from, from + n)} as float32 into {@code into} (at its position), through {@code staging}
         * (at least {@code n * width()} bytes, little-endian) for half precision. float32 is read straight into
         * {@code into}'s memory when it is a direct little-endian buffer's view.
         */
        public void copy(SeekableByteChannel channel, long from, int n, java.nio.FloatBuffer into, ByteBuffer staging) throws IOException {
            ByteBuffer raw = staging.clear().limit(n * width()).slice().order(ByteOrder.LITTLE_ENDIAN);
            long at = offset + from * width();
            while (raw.hasRemaining()) {
                if (channel.position(at + raw.position()).read(raw) < 0) {
                    throw new ModelDirectoryException(file + ": tensor '" + name + "' ends early");
                }
            }
            raw.flip();
            switch (dtype) {
                case "F32" -> into.put(raw.asFloatBuffer());
                case "BF16" -> {
                    for (int i = 0; i < n; i++) {
                        into.put(Float.intBitsToFloat((raw.getShort(i * 2) & 0xFFFF) << 16));
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        into.put(halfToFloat(raw.getShort(i * 2)));
                    }
                }
            }
        }
    }

    /** What {@link #entries} hands over: the open file and one tensor's entry. */
    @FunctionalInterface
    public interface EntrySink {
        void accept(SeekableByteChannel channel, Entry entry) throws IOException;
    }

    /**
     * Checks the header of {@code file} and hands each float tensor's entry to {@code sink}, in order, with the file open
     * (nothing is read but the header). Integer buffers (position ids) are skipped; an integer weight is refused.
     */
    public static void entries(Path file, EntrySink sink) {
        String name = file.getFileName().toString();
        try (SeekableByteChannel channel = Artifacts.channel(file)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            read(channel, length, 0);
            long n = length.getLong(0);
            if (n <= 0 || n > MAX_HEADER || 8 + n > channel.size()) {
                throw new ModelDirectoryException(name + ": not a safetensors file (bad header length)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            read(channel, headerBytes, 8);
            JsonObject header = new JsonObject(new String(headerBytes.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + n;
            for (String tensor : header.fieldNames()) {
                if (tensor.equals("__metadata__")) {
                    continue;
                }
                JsonObject meta = header.getJsonObject(tensor);
                String dtype = meta.getString("dtype", "");
                JsonArray offsets = meta.getJsonArray("data_offsets");
                long[] shape = meta.getJsonArray("shape").stream().mapToLong(d -> ((Number) d).longValue()).toArray();
                long count = 1;
                for (long d : shape) {
                    count *= d;
                }
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F16", "BF16" -> 2;
                    default -> 0;
                };
                if (width == 0) {
                    if ((dtype.startsWith("I") || dtype.startsWith("U") || dtype.equals("BOOL"))
                            && !tensor.endsWith(".weight") && !tensor.endsWith(".bias")) {
                        continue; // a buffer (position ids), not a weight
                    }
                    throw new ModelDirectoryException(name + ": tensor '" + tensor + "' is " + dtype.toLowerCase()
                            .replace("i", "int").replace("f", "float") + "; weights must be float32, float16 or bfloat16");
                }
                long start = offsets.getLong(0);
                long end = offsets.getLong(1);
                if (end - start != count * width || dataStart + end > channel.size() || count > Integer.MAX_VALUE) {
                    throw new ModelDirectoryException(name + ": tensor '" + tensor + "' has " + (end - start) + " bytes for shape "
                            + java.util.Arrays.toString(shape) + " of " + dtype);
                }
                sink.accept(channel, new Entry(name, tensor, shape, dtype, dataStart + start, count));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelDirectoryException m) {
                throw m;
            }
            throw new ModelDirectoryException(name + ": not a readable safetensors file (" + e.getMessage() + ")", e);
        }
    }

    /** IEEE 754 half precision to float, subnormals, infinities and NaN included. */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0) {
            float value = mantissa * (1f / (1 << 24)); // subnormal: mantissa × 2^-24
            return sign == 0 ? value : -value;
        }
        if (exponent == 31) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
