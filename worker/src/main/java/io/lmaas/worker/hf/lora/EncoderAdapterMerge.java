package io.lmaas.worker.hf.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.SafetensorsReader;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.ClassifierCheckpoint;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Folds an encoder classifier adapter into a copy of its base, as PEFT's {@code merge_and_unload} does: every adapted
 * projection W becomes {@code W + scaling · B A}, the head is the adapter's (what it saved; the base's for the rest),
 * and the result is written as a Hugging Face {@code *ForSequenceClassification} directory with the adapter's labels.
 * An encoder fits in memory; decoders are merged tensor by tensor ({@link AdapterMerge}).
 */
final class EncoderAdapterMerge {
    private EncoderAdapterMerge() {
    }

    static void merge(Path baseDir, Path adapterDir, Path out) throws IOException {
        HfDirectory hf = HfDirectory.read(baseDir);
        EncoderConfig config = EncoderConfig.parse(hf.config());
        EncoderLoraAdapter adapter = EncoderLoraAdapter.load(adapterDir, config);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            HfWeights weights = HfWeights.load(baseDir, manager);
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, weights, manager);
            if (!adapter.head().isEmpty()) {
                encoder.newHead(adapter.labels(), weights);
            }
            weights.releaseUnused();
            Map<String, NDArray> parameters = encoder.parameters();
            for (Map.Entry<LoraAdapter.Key, LoraAdapter.Pair> e : adapter.weights().entrySet()) {
                String name = encoder.prefix() + config.layersPath() + e.getKey().layer() + "." + e.getKey().module() + ".weight";
                LoraAdapter.Pair p = e.getValue();
                try (NDManager tmp = manager.newSubManager()) {
                    NDArray a = tmp.create(p.a(), new Shape(adapter.rank(), p.in()));
                    NDArray b = tmp.create(p.b(), new Shape(p.out(), adapter.rank()));
                    NDArray w = parameters.get(name);
                    w.set(w.add(b.matMul(a).mul((float) adapter.scaling())).toFloatArray());
                }
            }
            parameters.forEach((name, array) -> {
                SafetensorsReader.Tensor t = encoder.inHead(name) ? adapter.head().get(encoder.classifierName(name)) : null;
                if (t != null) {
                    array.set(t.values());
                }
            });
            ClassifierCheckpoint.write(encoder, hf.config(), baseDir, out);
        }
    }
}
