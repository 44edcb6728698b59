package io.lmaas.worker.runtime;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.modeldir.Weights;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model version's network with its weights in a manager of its own, and its tokenizer. The network is
 * a built-in block with DJL or safetensors weights, or a TorchScript module loaded by DJL's PyTorch engine.
 */
record LoadedBlock(Block block, NDManager manager, TextTokenizer tokenizer, ComputeDevice device, AutoCloseable owner) implements AutoCloseable {

    /** Loads the weights of {@code props.format()} into {@code builtIn} (ignored for TorchScript). */
    static LoadedBlock load(Path directory, ServingProperties props, Block builtIn, ComputeDevice device) {
        checkTokenizerFits(directory, props);
        TextTokenizer tokenizer;
        try {
            tokenizer = TextTokenizer.load(directory.resolve(props.tokenizerFile()));
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException(directory + ": tokenizer cannot be loaded: " + e.getMessage(), e);
        }
        try {
            if ("torchscript".equals(props.format())) {
                Model model = Model.newInstance("torchscript", device.device(), "PyTorch");
                try {
                    String file = props.weightsFile();
                    model.load(directory, file.endsWith(".pt") ? file.substring(0, file.length() - 3) : file);
                } catch (IOException | MalformedModelException | RuntimeException e) {
                    model.close();
                    throw new ModelDirectoryException(directory + ": TorchScript file cannot be loaded: " + e.getMessage(), e);
                }
                return new LoadedBlock(model.getBlock(), model.getNDManager(), tokenizer, device, model);
            }
            NDManager manager = NDManager.newBaseManager(device.device(), "PyTorch");
            try {
                Path weights = directory.resolve(props.weightsFile());
                if ("safetensors".equals(props.format())) {
                    Weights.loadSafetensors(builtIn, manager, weights);
                } else {
                    Weights.load(builtIn, manager, weights);
                }
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
            return new LoadedBlock(builtIn, manager, tokenizer, device, manager);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    boolean torchScript() {
        return !(block instanceof io.lmaas.worker.nn.EncoderClassifier) && !(block instanceof io.lmaas.worker.nn.DecoderLm);
    }

    /** The tokenizer's ids must all be rows of the model's embedding: a mismatched tokenizer is refused. */
    private static void checkTokenizerFits(Path directory, ServingProperties props) {
        Path file = directory.resolve(props.tokenizerFile());
        int size;
        try {
            JsonObject json = new JsonObject(Artifacts.readString(file));
            long max = TextTokenizer.largestId(json);
            size = (int) (max + 1);
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException(file + ": not a Hugging Face tokenizer.json (" + e.getMessage() + ")", e);
        }
        if (size == 0 || size > props.spec().vocabSize()) {
            throw new ModelDirectoryException(file + ": the tokenizer has " + size + " tokens but the model's vocabulary is "
                    + props.spec().vocabSize() + " (vocab_size): mismatched tokenizer");
        }
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            // closing native memory does not fail in practice; nothing to recover
        }
        tokenizer.close();
    }

    /** What the worker reports: the built-in architecture, its parameters (float32), the device and the context. */
    JsonObject describe(ServingProperties props) {
        long parameters = 0;
        for (var p : block.getParameters()) {
            if (p.getValue().isInitialized()) {
                parameters += p.getValue().getArray().getShape().size();
            }
        }
        return new JsonObject().put("architecture", props.architecture()).put("format", props.format())
                .put("parameters", parameters).put("dtype", "float32").put("compute_dtype", "float32").mergeIn(device.describe())
                .put("max_length", props.spec().maxLength()).put("weights_bytes", parameters * Float.BYTES);
    }
}
