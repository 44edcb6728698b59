package io.lmaas.worker.hf.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import io.lmaas.worker.hf.HfWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT, RoBERTa, XLM-RoBERTa and DistilBERT as Hugging Face's modeling code computes them, on DJL's NDArrays, from
 * the checkpoint's own tensor names. One implementation: the families differ only in tensor names, in how positions
 * are counted (RoBERTa's start after the padding id), in token types, and in their classification heads.
 */
public final class BertFamilyEncoder implements AutoCloseable {
    private final EncoderConfig config;
    private final NDManager manager;
    private final NDArray words;
    private final NDArray positions;
    private final NDArray types;
    private final Norm embeddingNorm;
    private final List<Layer> layers = new ArrayList<>();
    private final Head head;

    private record Linear(NDArray weightT, NDArray bias) {
        NDArray apply(NDArray x) {
            return x.matMul(weightT).add(bias);
        }
    }

    private record Norm(NDArray gamma, NDArray beta) {
    }

    private record Layer(Linear q, Linear k, Linear v, Linear out, Norm attentionNorm, Linear up, Linear down, Norm outputNorm) {
    }

    /** A classification head: an optional dense layer (tanh for BERT and RoBERTa, relu for DistilBERT), then the scores. */
    private record Head(Linear dense, boolean relu, Linear scores) {
    }

    public BertFamilyEncoder(EncoderConfig config, HfWeights w, NDManager manager) {
        this.config = config;
        this.manager = manager;
        String p = prefix(config, w);
        int h = config.hidden();
        words = w.get(p + "embeddings.word_embeddings.weight", new Shape(config.vocab(), h));
        positions = w.get(p + "embeddings.position_embeddings.weight", new Shape(config.maxPositions(), h));
        types = config.typeVocab() > 0 ? w.get(p + "embeddings.token_type_embeddings.weight", new Shape(config.typeVocab(), h)) : null;
        embeddingNorm = norm(w, p + "embeddings.LayerNorm");
        boolean distil = config.family() == EncoderConfig.Family.DISTILBERT;
        for (int i = 0; i < config.layers(); i++) {
            if (distil) {
                String l = p + "transformer.layer." + i + ".";
                layers.add(new Layer(linear(w, l + "attention.q_lin", h, h), linear(w, l + "attention.k_lin", h, h),
                        linear(w, l + "attention.v_lin", h, h), linear(w, l + "attention.out_lin", h, h), norm(w, l + "sa_layer_norm"),
                        linear(w, l + "ffn.lin1", h, config.intermediate()), linear(w, l + "ffn.lin2", config.intermediate(), h),
                        norm(w, l + "output_layer_norm")));
            } else {
                String l = p + "encoder.layer." + i + ".";
                layers.add(new Layer(linear(w, l + "attention.self.query", h, h), linear(w, l + "attention.self.key", h, h),
                        linear(w, l + "attention.self.value", h, h), linear(w, l + "attention.output.dense", h, h),
                        norm(w, l + "attention.output.LayerNorm"), linear(w, l + "intermediate.dense", h, config.intermediate()),
                        linear(w, l + "output.dense", config.intermediate(), h), norm(w, l + "output.LayerNorm")));
            }
        }
        head = config.classifier() ? head(config, w, p) : null;
    }

    /** Where the encoder's tensors live: bare ({@code embeddings.…}) or under the family's prefix ({@code bert.embeddings.…}). */
    private static String prefix(EncoderConfig config, HfWeights w) {
        String p = config.family().prefix + ".";
        return w.has(p + "embeddings.word_embeddings.weight") ? p : "";
    }

    private static Head head(EncoderConfig c, HfWeights w, String p) {
        int h = c.hidden();
        int n = c.labels().size();
        return switch (c.family()) {
            case BERT -> new Head(linear(w, p + "pooler.dense", h, h), false, linear(w, "classifier", h, n));
            case ROBERTA, XLM_ROBERTA -> new Head(linear(w, "classifier.dense", h, h), false, linear(w, "classifier.out_proj", h, n));
            case DISTILBERT -> new Head(linear(w, "pre_classifier", h, h), true, linear(w, "classifier", h, n));
        };
    }

    private static Linear linear(HfWeights w, String name, int in, int out) {
        return new Linear(w.get(name + ".weight", new Shape(out, in)).transpose(), w.get(name + ".bias", new Shape(out)));
    }

    private static Norm norm(HfWeights w, String name) {
        return new Norm(w.get(name + ".weight", null), w.get(name + ".bias", null));
    }

    public EncoderConfig config() {
        return config;
    }

    /**
     * The last hidden states, {@code [batch, longest, hidden]}, for token ids padded to the longest input;
     * {@code mask} is 1 for real tokens. Arrays are created in {@code request} (close it when done).
     */
    public NDArray hiddenStates(NDManager request, long[][] ids, long[][] typeIds) {
        int batch = ids.length;
        int longest = 1;
        for (long[] row : ids) {
            longest = Math.max(longest, row.length);
        }
        long[] flatIds = new long[batch * longest];
        long[] flatTypes = new long[batch * longest];
        long[] flatPositions = new long[batch * longest];
        float[] additive = new float[batch * longest];
        boolean roberta = config.family() == EncoderConfig.Family.ROBERTA || config.family() == EncoderConfig.Family.XLM_ROBERTA;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < longest; t++) {
                boolean real = t < ids[b].length;
                int i = b * longest + t;
                flatIds[i] = real ? ids[b][t] : config.padTokenId();
                flatTypes[i] = real && typeIds != null ? typeIds[b][t] : 0;
                // RoBERTa counts positions from padding_idx + 1 over real tokens; padding sits at padding_idx.
                flatPositions[i] = roberta ? (real ? config.padTokenId() + 1 + t : config.padTokenId()) : t;
                additive[i] = real ? 0f : -1e30f;
            }
        }
        Shape bt = new Shape(batch, longest);
        NDArray x = words.get(request.create(flatIds, bt)).add(positions.get(request.create(flatPositions, bt)));
        if (types != null) {
            x = x.add(types.get(request.create(flatTypes, bt)));
        }
        x = norm(x, embeddingNorm);
        NDArray mask = request.create(additive, new Shape(batch, 1, 1, longest));
        int heads = config.heads();
        int size = config.headSize();
        float scale = (float) (1.0 / Math.sqrt(size));
        for (Layer layer : layers) {
            NDArray q = split(layer.q().apply(x), batch, longest, heads, size);
            NDArray k = split(layer.k().apply(x), batch, longest, heads, size);
            NDArray v = split(layer.v().apply(x), batch, longest, heads, size);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(mask).softmax(-1);
            NDArray context = scores.matMul(v).transpose(0, 2, 1, 3).reshape(batch, longest, (long) heads * size);
            NDArray attended = norm(layer.out().apply(context).add(x), layer.attentionNorm());
            NDArray up = activation(layer.up().apply(attended));
            x = norm(layer.down().apply(up).add(attended), layer.outputNorm());
        }
        return x;
    }

    /** Class scores ({@code [batch, labels]}) from the first token's state, through the checkpoint's head. */
    public NDArray logits(NDArray hidden) {
        if (head == null) {
            throw new IllegalStateException("this checkpoint is a bare encoder, not a sequence classifier");
        }
        NDArray first = hidden.get(new NDIndex(":, 0, :"));
        NDArray dense = head.dense().apply(first);
        dense = head.relu() ? Activation.relu(dense) : Activation.tanh(dense);
        return head.scores().apply(dense);
    }

    private NDArray norm(NDArray x, Norm n) {
        return LayerNorm.layerNorm(x, new Shape(config.hidden()), n.gamma(), n.beta(), config.eps()).singletonOrThrow();
    }

    private NDArray activation(NDArray x) {
        return switch (config.activation()) {
            case "relu" -> Activation.relu(x);
            case "gelu_new", "gelu_pytorch_tanh" -> {
                NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
                yield x.mul(0.5f).mul(inner.tanh().add(1f));
            }
            default -> Activation.gelu(x); // the exact (erf) GELU, as Hugging Face's "gelu"
        };
    }

    private static NDArray split(NDArray x, int batch, int longest, int heads, int size) {
        return x.reshape(batch, longest, heads, size).transpose(0, 2, 1, 3);
    }

    /** Float32 check: the weights were converted on load. */
    DataType dataType() {
        return words.getDataType();
    }

    @Override
    public void close() {
        manager.close();
    }
}
