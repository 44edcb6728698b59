package io.lmaas.worker.hf.encoder;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a sentence embedding is made from token states, as sentence-transformers declares it: {@code modules.json}
 * (a Pooling module, then an optional Normalize) and the pooling module's {@code config.json} (mean, CLS or last
 * token). A directory without them pools by mean, unnormalised, as sentence-transformers does for a bare encoder.
 */
public record SentencePooling(Mode mode, boolean normalize) {
    public enum Mode { MEAN, CLS, LAST_TOKEN }

    public static SentencePooling read(Path directory) {
        Path modules = directory.resolve("modules.json");
        if (!Files.isRegularFile(modules)) {
            return new SentencePooling(Mode.MEAN, false);
        }
        try {
            JsonArray list = new JsonArray(Artifacts.readString(modules));
            Mode mode = Mode.MEAN;
            boolean normalize = false;
            for (Object o : list) {
                JsonObject m = (JsonObject) o;
                String type = m.getString("type", "");
                if (type.endsWith(".Normalize")) {
                    normalize = true;
                } else if (type.endsWith(".Pooling")) {
                    Path config = directory.resolve(m.getString("path", "1_Pooling")).resolve("config.json").normalize();
                    if (!config.startsWith(directory.normalize())) {
                        throw new ModelDirectoryException("modules.json: the pooling module's path leaves the model directory");
                    }
                    JsonObject c = new JsonObject(Artifacts.readString(config));
                    if (c.getBoolean("pooling_mode_cls_token", false)) {
                        mode = Mode.CLS;
                    } else if (c.getBoolean("pooling_mode_lasttoken", false)) {
                        mode = Mode.LAST_TOKEN;
                    } else if (!c.getBoolean("pooling_mode_mean_tokens", true)) {
                        throw new ModelDirectoryException("1_Pooling/config.json: only mean, CLS and last-token pooling are supported");
                    }
                }
            }
            return new SentencePooling(mode, normalize);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelDirectoryException m) {
                throw m;
            }
            throw new ModelDirectoryException("modules.json: not a readable sentence-transformers configuration (" + e.getMessage()
                    + ")", e);
        }
    }

    /** {@code [batch, hidden]} from {@code [batch, longest, hidden]}; {@code lengths} are the inputs' real token counts. */
    public NDArray apply(NDManager request, NDArray hidden, int[] lengths) {
        int batch = lengths.length;
        long longest = hidden.getShape().get(1);
        NDArray pooled;
        switch (mode) {
            case CLS -> pooled = hidden.get(new NDIndex(":, 0, :"));
            case LAST_TOKEN -> {
                NDArray[] rows = new NDArray[batch];
                for (int b = 0; b < batch; b++) {
                    rows[b] = hidden.get(new NDIndex("{}, {}, :", b, lengths[b] - 1));
                }
                pooled = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(rows));
            }
            default -> {
                float[] mask = new float[(int) (batch * longest)];
                for (int b = 0; b < batch; b++) {
                    for (int t = 0; t < lengths[b]; t++) {
                        mask[(int) (b * longest + t)] = 1f;
                    }
                }
                NDArray m = request.create(mask, new Shape(batch, longest, 1));
                NDArray counts = m.sum(new int[] {1}).maximum(1e-9f);
                pooled = hidden.mul(m).sum(new int[] {1}).div(counts);
            }
        }
        if (normalize) {
            pooled = pooled.div(pooled.norm(new int[] {1}, true).maximum(1e-12f));
        }
        return pooled;
    }
}
