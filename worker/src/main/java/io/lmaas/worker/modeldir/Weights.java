package io.lmaas.worker.modeldir;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DJL parameter files written and read directly by name (not through {@code Model.save}, whose
 * epoch-numbered files let a stale, higher-numbered file win on load).
 */
public final class Weights {
    private Weights() {
    }

    public static void save(Block block, Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Artifacts.newOutputStream(file)))) {
            block.saveParameters(out);
        }
    }

    /**
     * Loads the parameters and checks every one has the shape the architecture declares, and that the
     * file holds nothing more: weights of another architecture or size are refused, not served.
     */
    public static void load(Block block, NDManager manager, Path file) {
        Map<String, Shape> declared = new LinkedHashMap<>();
        block.getParameters().forEach(p -> declared.put(p.getKey(), p.getValue().getShape()));
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Artifacts.newInputStream(file)))) {
            block.loadParameters(manager, in);
            if (in.read() != -1) {
                throw new MalformedModelException("the file holds more parameters than the architecture declares");
            }
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw mismatch(file, e.getMessage(), e);
        }
        for (Pair<String, Parameter> p : block.getParameters()) {
            Shape actual = p.getValue().getArray().getShape();
            if (!actual.equals(declared.get(p.getKey()))) {
                throw mismatch(file, p.getKey() + " has shape " + actual + ", expected " + declared.get(p.getKey()), null);
            }
            p.getValue().freeze(true);
        }
    }

    /**
     * The block's parameters by their dotted path, e.g. {@code trunk.layer0.qkv_weight} (DJL's own keys
     * carry child indices, {@code 01trunk_01layer0_...}, which other tools should not need to know).
     */
    public static Map<String, Parameter> named(Block block) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect(block, "", out);
        return out;
    }

    private static void collect(Block block, String prefix, Map<String, Parameter> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.put(prefix + p.getKey(), p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), prefix + child.getKey().replaceFirst("^\\d+", "") + ".", out);
        }
    }

    /**
     * Writes the parameters as safetensors, one tensor per parameter named by its dotted path
     * ({@link #named}); linear weights are stored (in, out), as {@code x @ W} uses them.
     */
    public static void saveSafetensors(Block block, Path file) throws IOException {
        NDList tensors = new NDList();
        for (Map.Entry<String, Parameter> p : named(block).entrySet()) {
            NDArray a = p.getValue().getArray();
            a.setName(p.getKey());
            tensors.add(a);
        }
        try (OutputStream out = new BufferedOutputStream(Artifacts.newOutputStream(file))) {
            tensors.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    /**
     * Loads safetensors weights by name into the block, checking every declared parameter is present with
     * its declared shape and that the file holds no others.
     */
    public static void loadSafetensors(Block block, NDManager manager, Path file) {
        NDList tensors;
        try (InputStream in = new BufferedInputStream(Artifacts.newInputStream(file))) {
            tensors = NDList.decode(manager, in);
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException(file + ": not a readable safetensors file (" + e.getMessage() + ")", e);
        }
        Map<String, NDArray> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.getName(), t));
        for (Map.Entry<String, Parameter> p : named(block).entrySet()) {
            NDArray a = byName.remove(p.getKey());
            if (a == null) {
                throw mismatch(file, "missing tensor '" + p.getKey() + "'", null);
            }
            Shape declared = p.getValue().getShape();
            if (!a.getShape().equals(declared)) {
                throw mismatch(file, p.getKey() + " has shape " + a.getShape() + ", expected " + declared, null);
            }
            // DJL refuses an array for a parameter whose shape was declared: the shape was checked above.
            p.getValue().setShape(null);
            p.getValue().setArray(a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
            p.getValue().freeze(true);
        }
        if (!byName.isEmpty()) {
            throw mismatch(file, "unexpected tensors " + byName.keySet(), null);
        }
    }

    private static ModelDirectoryException mismatch(Path file, String detail, Throwable cause) {
        return new ModelDirectoryException(file + ": weights do not match the declared architecture (" + detail + ")", cause);
    }
}
