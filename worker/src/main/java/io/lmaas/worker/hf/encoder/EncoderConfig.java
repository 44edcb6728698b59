package io.lmaas.worker.hf.encoder;

import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BERT-family encoder's {@code config.json}, read the way Hugging Face's modeling code reads it: the family
 * ({@code bert}, {@code roberta}, {@code xlm-roberta}, {@code distilbert}), sizes, activation, norm epsilon, the
 * padding id (RoBERTa's positions count from it), labels, and whether the checkpoint is a bare encoder or a
 * sequence classifier. Pure.
 */
public record EncoderConfig(Family family, boolean classifier, int hidden, int layers, int heads, int intermediate,
        String activation, int maxPositions, int typeVocab, int vocab, float eps, int padTokenId, Map<Integer, String> labels,
        Dropouts dropouts) {

    /** Dropout rates used when fine-tuning (hidden states, attention weights, the classification head), and the init range. */
    public record Dropouts(float hidden, float attention, float head, float initializerRange) {
    }

    /** The families this worker serves, with the tensor-name conventions each uses. */
    public enum Family {
        BERT("bert", "bert"), ROBERTA("roberta", "roberta"), XLM_ROBERTA("xlm-roberta", "roberta"), DISTILBERT("distilbert",
                "distilbert");

        public final String modelType;
        /** The prefix of the encoder's tensors inside a {@code *ForSequenceClassification} checkpoint. */
        public final String prefix;

        Family(String modelType, String prefix) {
            this.modelType = modelType;
            this.prefix = prefix;
        }
    }

    public static final Set<String> ARCHITECTURES = Set.of("BertModel", "BertForSequenceClassification", "RobertaModel",
            "RobertaForSequenceClassification", "XLMRobertaModel", "XLMRobertaForSequenceClassification", "DistilBertModel",
            "DistilBertForSequenceClassification");

    public int headSize() {
        return hidden / heads;
    }

    public static EncoderConfig parse(JsonObject c) {
        String type = c.getString("model_type", "");
        Family family = null;
        for (Family f : Family.values()) {
            if (f.modelType.equals(type)) {
                family = f;
            }
        }
        JsonArray architectures = c.getJsonArray("architectures", new JsonArray());
        String architecture = architectures.isEmpty() ? "" : architectures.getString(0);
        if (family == null || (!architecture.isEmpty() && !ARCHITECTURES.contains(architecture))) {
            throw new ModelDirectoryException("config.json: unsupported architecture " + (architecture.isEmpty() ? "(model_type '"
                    + type + "')" : "'" + architecture + "'") + "; supported: " + List.copyOf(new java.util.TreeSet<>(ARCHITECTURES)));
        }
        boolean classifier = architecture.endsWith("ForSequenceClassification");
        Map<Integer, String> labels = new LinkedHashMap<>();
        JsonObject id2label = c.getJsonObject("id2label");
        if (classifier) {
            if (id2label == null || id2label.isEmpty()) {
                throw new ModelDirectoryException("config.json: a sequence classifier needs 'id2label'");
            }
            for (int i = 0; i < id2label.size(); i++) {
                String label = id2label.getString(Integer.toString(i));
                if (label == null) {
                    throw new ModelDirectoryException("config.json: 'id2label' must name labels 0.." + (id2label.size() - 1));
                }
                labels.put(i, label);
            }
        }
        if (family == Family.DISTILBERT) {
            return new EncoderConfig(family, classifier, positive(c, "dim"), positive(c, "n_layers"), positive(c, "n_heads"),
                    positive(c, "hidden_dim"), c.getString("activation", "gelu"), positive(c, "max_position_embeddings"), 0,
                    positive(c, "vocab_size"), 1e-12f, c.getInteger("pad_token_id", 0), labels, new Dropouts(rate(c, "dropout", 0.1),
                    rate(c, "attention_dropout", 0.1), rate(c, "seq_classif_dropout", 0.2), rate(c, "initializer_range", 0.02)))
                    .checked();
        }
        String position = c.getString("position_embedding_type", "absolute");
        if (!"absolute".equals(position)) {
            throw new ModelDirectoryException("config.json: position_embedding_type '" + position + "' is not supported (absolute only)");
        }
        return new EncoderConfig(family, classifier, positive(c, "hidden_size"), positive(c, "num_hidden_layers"),
                positive(c, "num_attention_heads"), positive(c, "intermediate_size"), c.getString("hidden_act", "gelu"),
                positive(c, "max_position_embeddings"), c.getInteger("type_vocab_size", 0), positive(c, "vocab_size"),
                c.getNumber("layer_norm_eps", 1e-12).floatValue(), c.getInteger("pad_token_id", family == Family.BERT ? 0 : 1),
                labels, new Dropouts(rate(c, "hidden_dropout_prob", 0.1), rate(c, "attention_probs_dropout_prob", 0.1),
                c.getValue("classifier_dropout") instanceof Number ? rate(c, "classifier_dropout", 0.1) : rate(c, "hidden_dropout_prob", 0.1),
                rate(c, "initializer_range", 0.02))).checked();
    }

    /**
     * The six projections of a layer by their path inside it (query, key, value, attention output, up, down), as the
     * family names them: {@code attention.self.query} … or DistilBERT's {@code attention.q_lin} ….
     */
    public List<String> projections() {
        return family == Family.DISTILBERT
                ? List.of("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "ffn.lin1", "ffn.lin2")
                : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                        "intermediate.dense", "output.dense");
    }

    /** Where the layers' tensors live under the encoder's prefix: {@code encoder.layer.} (DistilBERT: {@code transformer.layer.}). */
    public String layersPath() {
        return family == Family.DISTILBERT ? "transformer.layer." : "encoder.layer.";
    }

    /** (out, in) of a projection of {@link #projections()}. */
    public int[] dims(String projection) {
        int index = projections().indexOf(projection);
        if (index < 0) {
            throw new IllegalArgumentException(projection);
        }
        return index == 4 ? new int[] {intermediate, hidden} : index == 5 ? new int[] {hidden, intermediate} : new int[] {hidden, hidden};
    }

    /**
     * The classification head's two modules as a sequence classifier names them: its dense layer (BERT's pooler, RoBERTa's
     * {@code classifier.dense}, DistilBERT's {@code pre_classifier}) and the scores.
     */
    public String[] headModules() {
        return switch (family) {
            case BERT -> new String[] {family.prefix + ".pooler.dense", "classifier"};
            case ROBERTA, XLM_ROBERTA -> new String[] {"classifier.dense", "classifier.out_proj"};
            case DISTILBERT -> new String[] {"pre_classifier", "classifier"};
        };
    }

    /** The longest input the model takes: RoBERTa's positions start after the padding id. */
    public int maxTokens() {
        return family == Family.ROBERTA || family == Family.XLM_ROBERTA ? maxPositions - padTokenId - 1 : maxPositions;
    }

    private EncoderConfig checked() {
        if (hidden % heads != 0) {
            throw new ModelDirectoryException("config.json: hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        if (!Set.of("gelu", "relu", "gelu_new", "gelu_pytorch_tanh").contains(activation)) {
            throw new ModelDirectoryException("config.json: activation '" + activation + "' is not supported (gelu, relu)");
        }
        return this;
    }

    private static float rate(JsonObject c, String key, double otherwise) {
        Object v = c.getValue(key);
        if (v == null) {
            return (float) otherwise;
        }
        if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() >= 1) {
            throw new ModelDirectoryException("config.json: '" + key + "' must be a number from 0 to below 1");
        }
        return n.floatValue();
    }

    private static int positive(JsonObject c, String key) {
        Object v = c.getValue(key);
        if (!(v instanceof Number n) || n.intValue() <= 0) {
            throw new ModelDirectoryException("config.json: '" + key + "' must be a positive integer");
        }
        return n.intValue();
    }
}
