package io.lmaas.worker.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.modeldir.Weights;
import io.lmaas.worker.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;

/** A block with its weights in a manager of its own, and the version's tokenizer. */
record LoadedBlock<B extends Block>(B block, NDManager manager, TextTokenizer tokenizer) implements AutoCloseable {

    static <B extends Block> LoadedBlock<B> load(Path directory, ServingProperties props, B block) {
        TextTokenizer tokenizer;
        try {
            tokenizer = TextTokenizer.load(directory.resolve(props.tokenizerFile()));
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException(directory + ": tokenizer cannot be loaded: " + e.getMessage(), e);
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            Weights.load(block, manager, directory.resolve(props.weightsFile()));
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
        return new LoadedBlock<>(block, manager, tokenizer);
    }

    @Override
    public void close() {
        manager.close();
        tokenizer.close();
    }
}
