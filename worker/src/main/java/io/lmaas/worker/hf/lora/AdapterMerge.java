package io.lmaas.worker.hf.lora;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.SafetensorsReader;
import io.lmaas.worker.hf.SafetensorsWriter;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Folds a LoRA adapter into a copy of its base (a decoder's here; an encoder classifier's in {@link EncoderAdapterMerge}),
 * as PEFT's {@code merge_and_unload} does: every adapted weight W becomes
 * {@code W + scaling · B A}; every other tensor and file is the base's. The result is an ordinary Hugging Face directory
 * (a very hot adapter deployed as a model of its own, without the per-row adapter work), with the base's shard layout
 * and float32 weights (adding a low-rank update in bfloat16 would round it away). Weights are streamed tensor by tensor:
 * memory holds one tensor, not the model.
 */
public final class AdapterMerge {
    private static final int CHUNK = 1 << 22;

    private AdapterMerge() {
    }

    /** Writes the merged model into {@code out} (created; must not exist or be empty); the adapter must fit the base. */
    public static void merge(Path baseDir, Path adapterDir, Path out) throws IOException {
        HfDirectory base = HfDirectory.read(baseDir);
        if (!DecoderConfig.isCausalLm(base.config())) {
            EncoderAdapterMerge.merge(baseDir, adapterDir, out); // an encoder classifier's adapter (or a clear refusal)
            return;
        }
        LoraAdapter adapter = LoraAdapter.load(adapterDir, DecoderConfig.parse(base.config()));
        Map<String, LoraAdapter.Key> adapted = new HashMap<>();
        adapter.weights().keySet().forEach(k -> adapted.put(k.baseTensorName(), k));
        Files.createDirectories(out);
        HfDirectory.copyAllButWeights(baseDir, out);
        List<Path> shards;
        try (Stream<Path> files = Files.list(baseDir)) {
            shards = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        long total = 0;
        JsonObject weightMap = new JsonObject();
        int merged = 0;
        for (Path shard : shards) {
            Map<String, SafetensorsReader.Entry> entries = new LinkedHashMap<>();
            SafetensorsReader.entries(shard, (channel, e) -> entries.put(e.name(), e));
            Map<String, long[]> shapes = new LinkedHashMap<>();
            entries.forEach((name, e) -> {
                shapes.put(name, e.shape());
                weightMap.put(name, shard.getFileName().toString());
            });
            for (SafetensorsReader.Entry e : entries.values()) {
                total += 4L * e.count();
                merged += adapted.containsKey(e.name()) ? 1 : 0;
            }
            try (SeekableByteChannel channel = Artifacts.channel(shard)) {
                ByteBuffer staging = ByteBuffer.allocate(CHUNK * 4);
                SafetensorsWriter.write(out.resolve(shard.getFileName()), shapes, Map.of("format", "pt"), (name, sink) -> {
                    SafetensorsReader.Entry e = entries.get(name);
                    LoraAdapter.Key key = adapted.get(name);
                    if (key != null) {
                        float[] w = new float[Math.toIntExact(e.count())];
                        e.copy(channel, 0, w.length, FloatBuffer.wrap(w), ByteBuffer.allocate(w.length * e.width()));
                        addLowRank(w, adapter.weights().get(key), (float) adapter.scaling());
                        sink.put(w, w.length);
                        return;
                    }
                    float[] chunk = new float[(int) Math.min(CHUNK, Math.max(1, e.count()))];
                    for (long from = 0; from < e.count(); from += chunk.length) {
                        int n = (int) Math.min(chunk.length, e.count() - from);
                        e.copy(channel, from, n, FloatBuffer.wrap(chunk), staging);
                        sink.put(chunk, n);
                    }
                });
            }
        }
        if (merged != adapted.size()) {
            throw new ModelDirectoryException("the base lacks " + (adapted.size() - merged) + " of the weights the adapter adapts");
        }
        if (shards.size() > 1) {
            Artifacts.writeString(out.resolve("model.safetensors.index.json"), new JsonObject()
                    .put("metadata", new JsonObject().put("total_size", total)).put("weight_map", weightMap).encodePrettily());
        }
    }

    /** {@code w (out × in) += scaling · B (out × r) A (r × in)}, row-major. */
    static void addLowRank(float[] w, LoraAdapter.Pair p, float scaling) {
        int r = p.a().length / p.in();
        for (int o = 0; o < p.out(); o++) {
            for (int k = 0; k < r; k++) {
                float b = scaling * p.b()[o * r + k];
                int aRow = k * p.in();
                int wRow = o * p.in();
                for (int i = 0; i < p.in(); i++) {
                    w[wRow + i] += b * p.a()[aRow + i];
                }
            }
        }
    }
}
