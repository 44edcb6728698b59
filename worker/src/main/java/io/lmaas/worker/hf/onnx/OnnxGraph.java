package io.lmaas.worker.hf.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model a converter needs, read straight from its protobuf wire format (no ONNX library): the
 * graph's initializers (name, dims, element type, little-endian bytes) and its nodes (operator, inputs, outputs, and
 * the tensor of a {@code Constant}). Tensors stored outside the file ({@code external_data}) are refused.
 */
public final class OnnxGraph {
    /** ONNX element types this reader converts. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;
    public static final int FLOAT16 = 10;
    public static final int BFLOAT16 = 16;

    /** A tensor: its element type (ONNX numbering), dims and little-endian data. */
    public record Tensor(String name, int dataType, long[] dims, ByteBuffer data) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /** The values as floats (float, float16 and bfloat16 tensors). */
        public float[] floats() {
            int n = Math.toIntExact(elements());
            float[] out = new float[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dataType) {
                case FLOAT -> b.asFloatBuffer().get(out);
                case FLOAT16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = halfToFloat(b.getShort(i * 2));
                    }
                }
                case BFLOAT16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                    }
                }
                default -> throw new OnnxFormatException("tensor '" + name + "' has element type " + dataType + ", not a float type");
            }
            return out;
        }
    }

    /** IEEE 754 half precision to single (Java 17 has no {@code Float.float16ToFloat}). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa / 1024f / 16384f; // subnormal: mantissa * 2^-24
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** A node: operator, inputs, outputs; for a {@code Constant}, its value. */
    public record Node(String op, List<String> inputs, List<String> outputs, Tensor value) {
    }

    private final Map<String, Tensor> initializers;
    private final List<Node> nodes;

    private OnnxGraph(Map<String, Tensor> initializers, List<Node> nodes) {
        this.initializers = initializers;
        this.nodes = nodes;
    }

    public Map<String, Tensor> initializers() {
        return initializers;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public static OnnxGraph read(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
        Wire model = new Wire(all, 0, all.limit());
        Wire graph = null;
        while (model.more()) {
            int field = model.field();
            if (field == 7) {
                graph = model.message();
            } else {
                model.skip();
            }
        }
        if (graph == null) {
            throw new OnnxFormatException(file + " holds no ONNX graph");
        }
        Map<String, Tensor> initializers = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (graph.more()) {
            int field = graph.field();
            if (field == 5) {
                Tensor t = tensor(graph.message());
                initializers.put(t.name(), t);
            } else if (field == 1) {
                nodes.add(node(graph.message()));
            } else {
                graph.skip();
            }
        }
        return new OnnxGraph(initializers, nodes);
    }

    private static Node node(Wire w) {
        String op = null;
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Tensor value = null;
        while (w.more()) {
            switch (w.field()) {
                case 1 -> inputs.add(w.string());
                case 2 -> outputs.add(w.string());
                case 4 -> op = w.string();
                case 5 -> {
                    Wire attribute = w.message();
                    while (attribute.more()) {
                        if (attribute.field() == 5) {
                            value = tensor(attribute.message());
                        } else {
                            attribute.skip();
                        }
                    }
                }
                default -> w.skip();
            }
        }
        return new Node(op, inputs, outputs, value);
    }

    private static Tensor tensor(Wire w) {
        String name = "";
        int type = 0;
        List<Long> dims = new ArrayList<>();
        ByteBuffer raw = null;
        java.io.ByteArrayOutputStream floats = null;
        while (w.more()) {
            int field = w.field();
            switch (field) {
                case 1 -> {
                    if (w.wireType() == 2) {
                        Wire packed = w.message();
                        while (packed.pos < packed.end) {
                            dims.add(packed.varint());
                        }
                    } else {
                        dims.add(w.varint());
                    }
                }
                case 2 -> type = (int) w.varint();
                case 4 -> { // float_data, packed
                    Wire packed = w.message();
                    if (floats == null) {
                        floats = new java.io.ByteArrayOutputStream();
                    }
                    for (int i = packed.pos; i < packed.end; i++) {
                        floats.write(packed.buf.get(i));
                    }
                }
                case 8 -> name = w.string();
                case 9 -> raw = w.bytes();
                case 13 -> throw new OnnxFormatException("tensor '" + name + "' is stored outside the file (external data);"
                        + " export the model with its weights inside the .onnx file");
                default -> w.skip();
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        ByteBuffer data = raw != null ? raw : floats != null ? ByteBuffer.wrap(floats.toByteArray()) : ByteBuffer.allocate(0);
        return new Tensor(name, type, d, data);
    }

    /** A protobuf message being read: position, end, and the last key read. */
    private static final class Wire {
        final ByteBuffer buf;
        int pos;
        final int end;
        int key;

        Wire(ByteBuffer buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int field() {
            key = (int) varint();
            return key >>> 3;
        }

        int wireType() {
            return key & 7;
        }

        long varint() {
            long result = 0;
            int shift = 0;
            while (true) {
                if (pos >= end || shift > 63) {
                    throw new OnnxFormatException("truncated or malformed ONNX file");
                }
                byte b = buf.get(pos++);
                result |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return result;
                }
                shift += 7;
            }
        }

        Wire message() {
            int length = Math.toIntExact(varint());
            if (length < 0 || pos + length > end) {
                throw new OnnxFormatException("truncated or malformed ONNX file");
            }
            Wire w = new Wire(buf, pos, pos + length);
            pos += length;
            return w;
        }

        ByteBuffer bytes() {
            Wire w = message();
            return buf.duplicate().position(w.pos).limit(w.end).slice();
        }

        String string() {
            ByteBuffer b = bytes();
            byte[] a = new byte[b.remaining()];
            b.get(a);
            return new String(a, StandardCharsets.UTF_8);
        }

        void skip() {
            switch (wireType()) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> message();
                case 5 -> pos += 4;
                default -> throw new OnnxFormatException("malformed ONNX file (wire type " + wireType() + ")");
            }
            if (pos > end) {
                throw new OnnxFormatException("truncated ONNX file");
            }
        }
    }

    /** The file is not an ONNX model this reader can take apart. */
    public static final class OnnxFormatException extends RuntimeException {
        public OnnxFormatException(String message) {
            super(message);
        }
    }
}
