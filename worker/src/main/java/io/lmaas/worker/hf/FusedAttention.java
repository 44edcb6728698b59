package io.lmaas.worker.hf;

import ai.djl.ndarray.NDArray;
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
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multi-head self-attention as one libtorch kernel: {@code scaled_dot_product_attention}, which on CPU is a fused
 * (flash-style) kernel that never writes the score matrix, the softmax or the heads' permuted copies to memory. DJL's
 * NDArray API has no such op, so it is reached through TorchScript: a module with no weights whose source is
 * {@code fused_attention.py} (beside this class), assembled here into a TorchScript archive in memory and compiled by
 * libtorch when loaded. Only for inference without gradients (the callers check): a gradient through it is not needed
 * by any caller and would not be taken through DJL's autograd bookkeeping.
 *
 * <p>Input: the fused query/key/value projection {@code [batch, tokens, 3 × heads × size]}; output: the attended
 * values {@code [batch, tokens, heads × size]}, as {@code softmax(q kᵀ / √size + mask) v} computes them (the mask
 * additive, broadcast as {@code [batch, 1, 1, tokens]}). {@code -Dlmaas.attention.fused=false} turns it off: every
 * caller then computes attention op by op, as before.
 */
public final class FusedAttention {
    private static final Logger LOG = LoggerFactory.getLogger(FusedAttention.class);
    private static final String CLASS = "FusedAttention";

    private FusedAttention() {
    }

    /** Whether the fused kernel is loaded (and not turned off); false: compute attention op by op. */
    public static boolean available() {
        return Holder.MODULE != null;
    }

    /**
     * The attended values for {@code qkv} ({@code [batch, tokens, 3 × heads × size]}), in {@code qkv}'s manager;
     * {@code mask}: the additive mask {@code [batch, 1, 1, tokens]}, or null when nothing is padded.
     */
    public static NDArray attend(NDArray qkv, int heads, NDArray mask) {
        PtSymbolBlock module = Holder.MODULE;
        if (module == null) {
            throw new IllegalStateException("the fused attention kernel is not loaded");
        }
        IValue input = IValue.from((PtNDArray) qkv);
        IValue h = IValue.from(heads);
        IValue m = mask == null ? null : IValue.from((PtNDArray) mask);
        IValue out = null;
        try {
            out = m == null ? IValueUtils.runMethod(module, "forward", input, h) : IValueUtils.runMethod(module, "masked", input, h, m);
            return out.toTensor((PtNDManager) qkv.getManager());
        } finally {
            input.close();
            h.close();
            if (m != null) {
                m.close();
            }
            if (out != null) {
                out.close();
            }
        }
    }

    /** Loaded once per process, on first use, in the engine's own manager (the module lives as long as the process). */
    private static final class Holder {
        static final PtSymbolBlock MODULE = load();

        private static PtSymbolBlock load() {
            if (!Boolean.parseBoolean(System.getProperty("lmaas.attention.fused", "true"))) {
                LOG.info("fused attention turned off (-Dlmaas.attention.fused=false): attention is computed op by op");
                return null;
            }
            try {
                PtNDManager system = (PtNDManager) ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager();
                return JniUtils.loadModule(system, new ByteArrayInputStream(archive()), false, false);
            } catch (IOException | RuntimeException e) {
                LOG.warn("fused attention unavailable, attention is computed op by op: {}", e.toString());
                return null;
            }
        }
    }

    /**
     * A TorchScript archive (format version 3, as {@code torch.jit.save} writes it): the module's source, its pickled
     * instance (the class and its one attribute, {@code training = False}) and an empty constants table. Entries are
     * stored uncompressed, as libtorch's own writer stores them.
     */
    static byte[] archive() throws IOException {
        String source;
        try (InputStream in = FusedAttention.class.getResourceAsStream("fused_attention.py")) {
            if (in == null) {
                throw new IOException("fused_attention.py is missing from the worker's classpath");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            stored(out, "attention/data.pkl", instancePickle());
            stored(out, "attention/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(out, "attention/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // protocol 2, an empty tuple
            stored(out, "attention/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** Pickle protocol 2: {@code __torch__.FusedAttention()} with its state {@code {"training": False}}. */
    private static byte[] instancePickle() {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80); // PROTO
        p.write(2);
        p.writeBytes(("c__torch__\n" + CLASS + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
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
