package io.lmaas.worker.hf;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Hugging Face checkpoint's tensors by their original names: {@code model.safetensors}, or the shards a
 * {@code model.safetensors.index.json} lists. Stored as float32, float16 or bfloat16; held as float32 (computed in
 * float32 on the CPU) in libtorch's own memory, read in chunks so two copies of the model never coexist.
 */
public final class HfWeights {
    private final Map<String, NDArray> tensors;
    private final Path directory;
    private final String storedType;
    private final Set<String> taken = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private HfWeights(Map<String, NDArray> tensors, Path directory, String storedType) {
        this.tensors = tensors;
        this.directory = directory;
        this.storedType = storedType;
    }

    public static HfWeights load(Path directory, NDManager manager) {
        Path single = directory.resolve("model.safetensors");
        Path index = directory.resolve("model.safetensors.index.json");
        Map<String, NDArray> out = new LinkedHashMap<>();
        Set<String> types = new TreeSet<>();
        ByteBuffer floats = ByteBuffer.allocateDirect(CHUNK * Float.BYTES).order(ByteOrder.nativeOrder());
        ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (Files.isRegularFile(single)) {
            read(single, manager, out, types, null, floats, staging);
        } else if (Files.isRegularFile(index)) {
            JsonObject map;
            try {
                map = new JsonObject(Artifacts.readString(index)).getJsonObject("weight_map");
            } catch (IOException | RuntimeException e) {
                throw new ModelDirectoryException("model.safetensors.index.json: not a readable index (" + e.getMessage() + ")", e);
            }
            if (map == null || map.isEmpty()) {
                throw new ModelDirectoryException("model.safetensors.index.json: no 'weight_map'");
            }
            Map<String, Set<String>> byShard = new LinkedHashMap<>();
            map.forEach(e -> byShard.computeIfAbsent(String.valueOf(e.getValue()), k -> new TreeSet<>()).add(e.getKey()));
            for (Map.Entry<String, Set<String>> shard : byShard.entrySet()) {
                Path file = directory.resolve(shard.getKey()).normalize();
                if (!file.startsWith(directory.normalize()) || !Files.isRegularFile(file)) {
                    throw new ModelDirectoryException(shard.getKey() + ": a shard the index lists is missing");
                }
                read(file, manager, out, types, shard.getValue(), floats, staging);
            }
        } else {
            throw new ModelDirectoryException("no weights: expected model.safetensors or model.safetensors.index.json");
        }
        return new HfWeights(out, directory, String.join("+", types));
    }

    /** Elements copied per native call while loading: the only Java-side buffer is this size (16 MB of float32). */
    private static final int CHUNK = 4 << 20;

    /**
     * Reads a shard's float tensors into tensors libtorch allocates itself: each is read from the file in chunks through
     * one reused direct buffer and copied natively, so no tensor borrows Java memory and no whole float32 copy of a
     * tensor ever sits on the Java heap or in a memory map.
     */
    private static void read(Path file, NDManager manager, Map<String, NDArray> out, Set<String> types, Set<String> expected,
            ByteBuffer floats, ByteBuffer staging) {
        Map<String, NDArray> found = new HashMap<>();
        try {
            SafetensorsReader.entries(file, (channel, e) -> {
                NDArray target = manager.create(new Shape(e.shape()), DataType.FLOAT32);
                found.put(e.name(), target);
                target.setName(e.name());
                types.add(e.storedAs());
                if (e.count() == 0) {
                    return;
                }
                NDArray flat = target.reshape(e.count());
                for (long from = 0; from < e.count(); from += CHUNK) {
                    int n = (int) Math.min(CHUNK, e.count() - from);
                    ByteBuffer view = floats.duplicate().order(ByteOrder.nativeOrder());
                    view.clear().limit(n * Float.BYTES);
                    e.copy(channel, from, n, view.asFloatBuffer(), staging);
                    try (NDArray part = manager.create(view, new Shape(n), DataType.FLOAT32)) {
                        flat.set(new NDIndex(from + ":" + (from + n)), part);
                    }
                }
                flat.close();
            });
        } catch (RuntimeException e) {
            found.values().forEach(NDArray::close);
            throw e;
        }
        if (expected != null) {
            for (String name : expected) {
                if (!found.containsKey(name)) {
                    found.values().forEach(NDArray::close);
                    throw new ModelDirectoryException(file.getFileName() + ": tensor '" + name + "' listed in the index is missing");
                }
            }
        }
        out.putAll(found);
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor, checked to have {@code shape}; a missing or misshapen tensor names itself. */
    public NDArray get(String name, Shape shape) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new ModelDirectoryException(directory.getFileName() + ": missing tensor '" + name + "'");
        }
        if (shape != null && !a.getShape().equals(shape)) {
            throw new ModelDirectoryException(directory.getFileName() + ": tensor '" + name + "' has shape " + a.getShape()
                    + ", expected " + shape);
        }
        taken.add(name);
        return a;
    }

    /** Frees the tensors no one took (a bare encoder's unused pooler, buffers): only what is computed with stays. */
    public void releaseUnused() {
        tensors.entrySet().removeIf(e -> {
            if (taken.contains(e.getKey())) {
                return false;
            }
            e.getValue().close();
            return true;
        });
    }

    /** Parameters in all tensors. */
    public long parameters() {
        return tensors.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /** How the weights were stored: float32, float16, bfloat16 (or several, joined by +). */
    public String storedType() {
        return storedType;
    }

    public Set<String> names() {
        return tensors.keySet();
    }
}
