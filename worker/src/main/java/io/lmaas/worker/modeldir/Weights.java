package io.lmaas.worker.modeldir;

import ai.djl.MalformedModelException;
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
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
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
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
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

    private static ModelDirectoryException mismatch(Path file, String detail, Throwable cause) {
        return new ModelDirectoryException(file + ": weights do not match the declared architecture (" + detail + ")", cause);
    }
}
