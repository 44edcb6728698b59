package io.lmaas.worker.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A weightless TorchScript module of LMaaS's own source, for the libtorch kernels DJL's NDArray API does not reach
 * (oneDNN's linear layers with fused epilogues, {@code scaled_dot_product_attention}). The source is a classpath
 * resource in the serialized TorchScript dialect (the {@code code/} files {@code torch.jit.save} writes); it is assembled
 * into a TorchScript archive in memory and compiled by libtorch when loaded, so no Python and no generated binary is
 * involved. Its methods take tensors, lists of tensors, integers, floats and strings, and return one tensor.
 */
public final class ScriptModule {
    private final PtSymbolBlock module;

    private ScriptModule(PtSymbolBlock module) {
        this.module = module;
    }

    /**
     * Compiles {@code resource} (next to {@code owner}), which defines {@code className}, in {@code manager} (the module
     * lives as long as it). Fails with libtorch's message when the source does not compile, for example when an op it
     * calls is not in this libtorch build.
     */
    public static ScriptModule load(Class<?> owner, String resource, String className, NDManager manager) throws IOException {
        String source;
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is missing from the classpath");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new ScriptModule(JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive(className, source)), false, false));
    }

    /**
     * Runs {@code method} with {@code args} (NDArray, {@code List<NDArray>}, Integer or Long, Float or Double, String);
     * the result is created in {@code out}.
     */
    public NDArray run(String method, NDManager out, Object... args) {
        List<IValue> values = new ArrayList<>(args.length);
        IValue result = null;
        try {
            for (Object a : args) {
                values.add(value(a));
            }
            result = IValueUtils.runMethod(module, method, values.toArray(IValue[]::new));
            return result.toTensor((PtNDManager) out);
        } finally {
            values.forEach(IValue::close);
            if (result != null) {
                result.close();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static IValue value(Object a) {
        if (a instanceof NDArray array) {
            return IValue.from((PtNDArray) array);
        } else if (a instanceof List<?> list) {
            return IValue.listFrom(((List<NDArray>) list).stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new));
        } else if (a instanceof Integer || a instanceof Long) {
            return IValue.from(((Number) a).longValue());
        } else if (a instanceof Float || a instanceof Double) {
            return IValue.from(((Number) a).doubleValue());
        } else if (a instanceof String s) {
            return IValue.from(s);
        }
        throw new IllegalArgumentException("not a TorchScript argument: " + a);
    }

    /**
     * A TorchScript archive (format version 3, as {@code torch.jit.save} writes it): the module's source, its pickled
     * instance ({@code className} with its one attribute, {@code training = False}) and an empty constants table, stored
     * uncompressed, as libtorch's own writer stores them.
     */
    static byte[] archive(String className, String source) throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            stored(out, "module/data.pkl", instancePickle(className));
            stored(out, "module/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(out, "module/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // protocol 2, an empty tuple
            stored(out, "module/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** Pickle protocol 2: {@code __torch__.<className>()} with its state {@code {"training": False}}. */
    private static byte[] instancePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80); // PROTO 2
        p.write(2);
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        p.write(')'); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT
        byte[] name = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X'); // BINUNICODE, little-endian length
        p.writeBytes(new byte[] {(byte) name.length, 0, 0, 0});
        p.writeBytes(name);
        p.write(0x89); // NEWFALSE
        p.write('s'); // SETITEM
        p.write('b'); // BUILD
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void stored(ZipOutputStream out, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        out.putNextEntry(e);
        out.write(bytes);
        out.closeEntry();
    }
}
