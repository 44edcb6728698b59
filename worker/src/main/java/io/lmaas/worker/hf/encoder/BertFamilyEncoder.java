package io.lmaas.worker.hf.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.encoder.EncoderLayers.Layer;
import io.lmaas.worker.hf.encoder.EncoderLayers.Linear;
import io.lmaas.worker.hf.encoder.EncoderLayers.Norm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT, RoBERTa, XLM-RoBERTa and DistilBERT as Hugging Face's modeling code computes them, on DJL's NDArrays, from
 * the checkpoint's own tensor names. One implementation: the families differ only in tensor names, in how positions
 * are counted (RoBERTa's start after the padding id), in token types, and in their classification heads. Every tensor
 * is kept under its Hugging Face name ({@link #parameters()}), so fine-tuning trains them in place and writes them back
 * under the same names; {@code training} turns on the checkpoint's dropout.
 */
public final class BertFamilyEncoder implements AutoCloseable {
    private final EncoderConfig config;
    private final EncoderLayers blocks;
    private final NDManager manager;
    private final String prefix;
    private final Map<String, NDArray> named = new LinkedHashMap<>();
    private final NDArray words;
    private final NDArray positions;
    private final NDArray types;
    private final Norm embeddingNorm;
    private final List<Layer> layers = new ArrayList<>();
    private Head head;
    private List<String> labels;
    /** Per layer, query, key and value weights in one matrix (inference only; see {@link #fuseForInference()}). */
    private List<Linear> fusedQkv;
    /** Each layer's inference pass as one fused call on CPU (see {@link #fuseForInference()}); null: op by op. */
    private EncoderKernel kernel;

    /** A classification head: an optional dense layer (tanh for BERT and RoBERTa, relu for DistilBERT), then the scores. */
    private record Head(Linear dense, boolean relu, Linear scores) {
    }

    /** What LoRA adapters add to a layer's projection ({@link EncoderConfig#projections()}) for input x; null: nothing. */
    public interface Deltas {
        NDArray delta(int layer, String projection, NDArray x);
    }

    /** A classification head's tensors: its dense layer (hidden × hidden) and its scores (labels × hidden), with biases. */
    public record HeadWeights(NDArray denseWeight, NDArray denseBias, NDArray scoresWeight, NDArray scoresBias) {
    }

    public BertFamilyEncoder(EncoderConfig config, HfWeights w, NDManager manager) {
        this.config = config;
        this.blocks = new EncoderLayers(config);
        this.manager = manager;
        this.prefix = prefix(config, w);
        String p = prefix;
        int h = config.hidden();
        words = take(w, p + "embeddings.word_embeddings.weight", new Shape(config.vocab(), h));
        positions = take(w, p + "embeddings.position_embeddings.weight", new Shape(config.maxPositions(), h));
        types = config.typeVocab() > 0 ? take(w, p + "embeddings.token_type_embeddings.weight", new Shape(config.typeVocab(), h)) : null;
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
        labels = List.copyOf(config.labels().values());
        head = config.classifier() ? head(w) : null;
    }

    /** Where the encoder's tensors live: bare ({@code embeddings.…}) or under the family's prefix ({@code bert.embeddings.…}). */
    private static String prefix(EncoderConfig config, HfWeights w) {
        String p = config.family().prefix + ".";
        return w.has(p + "embeddings.word_embeddings.weight") ? p : "";
    }

    /** The names of the head's tensors, by family: (dense, scores). */
    private String[] headNames() {
        return switch (config.family()) {
            case BERT -> new String[] {prefix + "pooler.dense", "classifier"};
            case ROBERTA, XLM_ROBERTA -> new String[] {"classifier.dense", "classifier.out_proj"};
            case DISTILBERT -> new String[] {"pre_classifier", "classifier"};
        };
    }

    private Head head(HfWeights w) {
        String[] names = headNames();
        int h = config.hidden();
        return new Head(linear(w, names[0], h, h), config.family() == EncoderConfig.Family.DISTILBERT,
                linear(w, names[1], h, labels.size()));
    }

    /**
     * Puts a new classification head for {@code newLabels} on the encoder (Hugging Face's initialisation: normal with the
     * config's initializer range, zero biases). BERT keeps its pooler when the checkpoint has one.
     */
    public void newHead(List<String> newLabels, HfWeights w) {
        String[] names = headNames();
        int h = config.hidden();
        named.keySet().removeIf(n -> n.startsWith(names[0] + ".") || n.startsWith(names[1] + "."));
        Linear dense = config.family() == EncoderConfig.Family.BERT && w.has(names[0] + ".weight") ? linear(w, names[0], h, h)
                : fresh(names[0], h, h);
        head = new Head(dense, config.family() == EncoderConfig.Family.DISTILBERT, fresh(names[1], h, newLabels.size()));
        labels = List.copyOf(newLabels);
    }

    private Linear fresh(String name, int in, int out) {
        NDArray weight = manager.randomNormal(0f, config.dropouts().initializerRange(), new Shape(out, in), DataType.FLOAT32);
        NDArray bias = manager.zeros(new Shape(out), DataType.FLOAT32);
        named.put(name + ".weight", weight);
        named.put(name + ".bias", bias);
        return new Linear(weight, bias);
    }

    private NDArray take(HfWeights w, String name, Shape shape) {
        NDArray a = w.get(name, shape);
        named.put(name, a);
        return a;
    }

    private Linear linear(HfWeights w, String name, int in, int out) {
        return new Linear(take(w, name + ".weight", new Shape(out, in)), take(w, name + ".bias", new Shape(out)));
    }

    private Norm norm(HfWeights w, String name) {
        return new Norm(take(w, name + ".weight", null), take(w, name + ".bias", null));
    }

    public EncoderConfig config() {
        return config;
    }

    /**
     * For serving: each layer's query, key and value projections become one matrix multiply (one GEMM of three times
     * the width instead of three). The separate tensors become views into the fused one, so no weight is held twice.
     * On CPU, inference then runs each layer as one fused call ({@link EncoderKernel}). Not for training: the gradients
     * would flow into the fused copy.
     */
    public void fuseForInference() {
        List<Linear> fused = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            NDArray weight = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(l.q().weight(), l.k().weight(), l.v().weight()));
            NDArray bias = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(l.q().bias(), l.k().bias(), l.v().bias()));
            weight.attach(manager);
            bias.attach(manager);
            fused.add(new Linear(weight, bias));
            // The separate projections become views (slices) of the fused tensors; the originals are freed.
            long h = config.hidden();
            Linear[] views = new Linear[3];
            Linear[] originals = {l.q(), l.k(), l.v()};
            for (int p = 0; p < 3; p++) {
                String rows = (p * h) + ":" + ((p + 1) * h);
                views[p] = new Linear(weight.get(rows), bias.get(rows));
                for (Map.Entry<String, NDArray> e : named.entrySet()) {
                    if (e.getValue() == originals[p].weight()) {
                        e.setValue(views[p].weight());
                    } else if (e.getValue() == originals[p].bias()) {
                        e.setValue(views[p].bias());
                    }
                }
                originals[p].weight().close();
                originals[p].bias().close();
            }
            layers.set(i, new Layer(views[0], views[1], views[2], l.out(), l.attentionNorm(), l.up(), l.down(), l.outputNorm()));
        }
        fusedQkv = fused;
        kernel = EncoderKernel.pack(config, layers, fused, manager);
    }

    /** Whether inference runs each layer as one fused call ({@link EncoderKernel}). */
    public boolean fusedKernel() {
        return kernel != null;
    }

    /** How many layers ran as one fused call so far (0 without the kernel). */
    public long fusedLayerCalls() {
        return kernel == null ? 0 : kernel.calls();
    }

    /** The labels of the head (empty for a bare encoder). */
    public List<String> labels() {
        return labels;
    }

    /** Every tensor under its Hugging Face name, the head's included, in checkpoint order. */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(named);
    }

    /** True if {@code name} belongs to the embeddings or to an encoder layer below {@code layer}. */
    public boolean below(String name, int layer) {
        if (name.startsWith(prefix + "embeddings.")) {
            return true;
        }
        String layers = prefix + (config.family() == EncoderConfig.Family.DISTILBERT ? "transformer.layer." : "encoder.layer.");
        if (!name.startsWith(layers)) {
            return false;
        }
        String rest = name.substring(layers.length());
        return Integer.parseInt(rest.substring(0, rest.indexOf('.'))) < layer;
    }

    /** True if {@code name} is one of the head's tensors. */
    public boolean inHead(String name) {
        String[] names = headNames();
        return name.startsWith(names[0] + ".") || name.startsWith(names[1] + ".");
    }

    /** The prefix the encoder's tensors carry in a sequence-classification checkpoint ({@code bert.}, {@code roberta.}…). */
    public String classifierPrefix() {
        return config.family().prefix + ".";
    }

    /**
     * A tensor's name in a sequence classifier: encoder tensors (and BERT's pooler) under the family's prefix
     * ({@code bert.encoder.…}), the rest of the head as it is ({@code classifier.…}).
     */
    public String classifierName(String name) {
        if (!inHead(name) || name.startsWith(prefix + "pooler.")) {
            return classifierPrefix() + name.substring(prefix.length());
        }
        return name;
    }

    /** The prefix they carry in this checkpoint ({@code ""} for a bare encoder). */
    public String prefix() {
        return prefix;
    }

    /** Inference: {@link #hiddenStates(NDManager, long[][], long[][], boolean)} without dropout. */
    public NDArray hiddenStates(NDManager request, long[][] ids, long[][] typeIds) {
        return hiddenStates(request, ids, typeIds, false);
    }

    /**
     * The last hidden states, {@code [batch, longest, hidden]}, for token ids padded to the longest input. Arrays are
     * created in {@code request} (close it when done); {@code training} applies the checkpoint's dropout.
     */
    public NDArray hiddenStates(NDManager request, long[][] ids, long[][] typeIds, boolean training) {
        return hiddenStates(request, ids, typeIds, null, training);
    }

    /**
     * As above, with {@code wordEmbeddings} ({@code [batch, longest, hidden]}, in {@code request}) in place of the
     * lookup of the ids' word embeddings when given: integrated gradients scales them, positions and types stay.
     */
    public NDArray hiddenStates(NDManager request, long[][] ids, long[][] typeIds, NDArray wordEmbeddings, boolean training) {
        return hiddenStates(request, ids, typeIds, wordEmbeddings, training, null);
    }

    /** As above, each layer's projections gaining what {@code deltas} adds (LoRA adapters); null: the bare base. */
    public NDArray hiddenStates(NDManager request, long[][] ids, long[][] typeIds, NDArray wordEmbeddings, boolean training,
            Deltas deltas) {
        EncoderInputs in = EncoderInputs.of(config, ids, typeIds);
        int batch = in.batch();
        int longest = in.longest();
        Shape bt = new Shape(batch, longest);
        // A result lands in the manager of the array an op is called on: the lookups into the weights are moved to the
        // request's manager, so everything computed from them is freed with it (not kept by the model's manager).
        NDArray w = wordEmbeddings != null ? wordEmbeddings : inRequest(words.get(request.create(in.ids(), bt)), request);
        NDArray x = w.add(inRequest(positions.get(request.create(in.positions(), bt)), request));
        if (types != null) {
            x = x.add(inRequest(types.get(request.create(in.types(), bt)), request));
        }
        x = EncoderLayers.dropout(blocks.norm(x, embeddingNorm), config.dropouts().hidden(), training);
        // Without padding there is nothing to mask: the add over the whole score tensor is skipped.
        NDArray mask = in.padded() ? request.create(in.additiveMask(), new Shape(batch, 1, 1, longest)) : null;
        for (int i = 0; i < layers.size(); i++) {
            // Each layer's intermediates are freed as soon as the layer is done (DJL would otherwise keep every one of
            // them until the request ends: hundreds of MB at 16 x 128 tokens). Autograd keeps what backward needs.
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                // Integrated gradients records gradients through the layers: the fused kernel records none.
                NDArray next = kernel != null && !training && deltas == null && !EncoderKernel.recordingGradients()
                        ? kernel.forward(i, x, mask)
                        : blocks.forward(i, layers.get(i), fusedQkv == null ? null : fusedQkv.get(i), x, mask, batch, longest, training,
                                deltas);
                NDScope.unregister(next);
                x.close();
                x = next;
            }
        }
        return x;
    }

    /** Inference: class scores without dropout. */
    public NDArray logits(NDArray hidden) {
        return logits(hidden, false);
    }

    /** The word embeddings of one input's ids, {@code [tokens, hidden]}, in {@code request}. */
    public NDArray wordEmbeddings(NDManager request, long[] ids) {
        return inRequest(words.get(request.create(ids)), request);
    }

    /** Class scores ({@code [batch, labels]}) from the first token's state, through the head (with its dropout when training). */
    public NDArray logits(NDArray hidden, boolean training) {
        if (head == null) {
            throw new IllegalStateException("this checkpoint is a bare encoder, not a sequence classifier");
        }
        return logits(hidden, head(), training);
    }

    /** Class scores through another head (an adapter's): the family's head computation on {@code weights}. */
    public NDArray logits(NDArray hidden, HeadWeights weights, boolean training) {
        float rate = config.dropouts().head();
        NDArray first = hidden.get(new NDIndex(":, 0, :"));
        boolean roberta = config.family() == EncoderConfig.Family.ROBERTA || config.family() == EncoderConfig.Family.XLM_ROBERTA;
        NDArray dense = new Linear(weights.denseWeight(), weights.denseBias()).apply(roberta ? EncoderLayers.dropout(first, rate, training) : first);
        dense = config.family() == EncoderConfig.Family.DISTILBERT ? Activation.relu(dense) : Activation.tanh(dense);
        return new Linear(weights.scoresWeight(), weights.scoresBias()).apply(EncoderLayers.dropout(dense, rate, training));
    }

    /** The checkpoint's (or the new) classification head; null for a bare encoder. */
    public HeadWeights head() {
        return head == null ? null : new HeadWeights(head.dense().weight(), head.dense().bias(), head.scores().weight(), head.scores().bias());
    }

    private static NDArray inRequest(NDArray a, NDManager request) {
        a.attach(request);
        return a;
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
