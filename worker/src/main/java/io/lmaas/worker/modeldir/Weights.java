package io.lmaas.worker.modeldir;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    public static void load(Block block, NDManager manager, Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            block.loadParameters(manager, in);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new ModelDirectoryException(file + ": weights do not match the declared architecture (" + e.getMessage() + ")", e);
        }
        block.getParameters().forEach(p -> p.getValue().freeze(true));
    }
}
