package io.lmaas.worker.hf.onnx;

import io.lmaas.worker.hf.SafetensorsWriter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an ONNX export of a BERT-family encoder (as Hugging Face's exporters write it) back into a Hugging Face model
 * directory: {@code model.safetensors} under the original tensor names, {@code config.json}, the tokenizer, and the
 * sentence-transformers pooling files. Exporters keep the names of biases and norms but give the weights of linear
 * layers anonymous names and store them transposed ({@code x @ W}); each such weight is recognised by the
 * {@code MatMul} that uses it and the {@code Add} of a named bias that follows ({@code …query.bias} →
 * {@code …query.weight}, transposed back to {@code [out, in]}). The number of attention heads is read from the
 * attention's scale constant (1/√head_dim), the norm epsilon from the layer norms' constant.
 */
public final class OnnxEncoderImport {
    /** How sentence embeddings are made from token states: {@code mean}, {@code cls} or {@code lasttoken}; normalised or not. */
    public record Pooling(String mode, boolean normalize) {
        public static final java.util.List<String> MODES = java.util.List.of("mean", "cls", "lasttoken");

        public Pooling {
            if (!MODES.contains(mode)) {
                throw new IllegalArgumentException("pooling must be one of " + MODES + ", not '" + mode + "'");
            }
        }
    }

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private OnnxEncoderImport() {
    }

    /** Converts {@code onnx} (with its {@code tokenizer.json}) into {@code target}, a new Hugging Face directory. */
    public static void convert(Path onnx, Path tokenizerJson, Pooling pooling, Path target) throws IOException {
        OnnxGraph graph = OnnxGraph.read(onnx);
        Map<String, SafetensorsWriter.Tensor> tensors = tensors(graph);
        JsonObject config = config(graph, tensors);
        Files.createDirectories(target.resolve("1_Pooling"));
        SafetensorsWriter.write(target.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        Files.writeString(target.resolve("config.json"), config.encodePrettily());
        Files.copy(tokenizerJson, target.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(target.resolve("tokenizer_config.json"), new JsonObject()
                .put("model_max_length", config.getInteger("max_position_embeddings")).put("do_lower_case", true).encodePrettily());
        JsonArray modules = new JsonArray()
                .add(new JsonObject().put("idx", 0).put("name", "0").put("path", "").put("type", "sentence_transformers.models.Transformer"))
                .add(new JsonObject().put("idx", 1).put("name", "1").put("path", "1_Pooling")
                        .put("type", "sentence_transformers.models.Pooling"));
        if (pooling.normalize()) {
            modules.add(new JsonObject().put("idx", 2).put("name", "2").put("path", "2_Normalize")
                    .put("type", "sentence_transformers.models.Normalize"));
        }
        Files.writeString(target.resolve("modules.json"), modules.encodePrettily());
        Files.writeString(target.resolve("1_Pooling").resolve("config.json"), new JsonObject()
                .put("word_embedding_dimension", config.getInteger("hidden_size"))
                .put("pooling_mode_cls_token", pooling.mode().equals("cls"))
                .put("pooling_mode_mean_tokens", pooling.mode().equals("mean"))
                .put("pooling_mode_max_tokens", false)
                .put("pooling_mode_lasttoken", pooling.mode().equals("lasttoken")).encodePrettily());
    }

    /** Every float initializer under its Hugging Face name; anonymous linear weights named and transposed back. */
    static Map<String, SafetensorsWriter.Tensor> tensors(OnnxGraph graph) {
        Map<String, OnnxGraph.Node> consumerOf = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) {
            for (String in : n.inputs()) {
                consumerOf.putIfAbsent(in, n);
            }
        }
        Map<String, String> renamed = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) {
            if (!"MatMul".equals(n.op()) || n.inputs().size() != 2) {
                continue;
            }
            String weight = n.inputs().get(1);
            OnnxGraph.Tensor w = graph.initializers().get(weight);
            OnnxGraph.Node add = consumerOf.get(n.outputs().get(0));
            if (w == null || w.dims().length != 2 || add == null || !"Add".equals(add.op())) {
                continue;
            }
            for (String in : add.inputs()) {
                if (in.endsWith(".bias") && graph.initializers().containsKey(in)) {
                    renamed.put(weight, in.substring(0, in.length() - ".bias".length()) + ".weight");
                }
            }
        }
        Map<String, SafetensorsWriter.Tensor> out = new LinkedHashMap<>();
        for (OnnxGraph.Tensor t : graph.initializers().values()) {
            if (t.dataType() == OnnxGraph.INT64) {
                continue; // buffers such as position_ids, not weights
            }
            String name = renamed.get(t.name());
            if (name != null) {
                out.put(name, new SafetensorsWriter.Tensor(new long[] {t.dims()[1], t.dims()[0]}, transpose(t.floats(),
                        (int) t.dims()[0], (int) t.dims()[1])));
            } else if (t.name().matches("[A-Za-z_][A-Za-z0-9_.]*\\.(weight|bias)")) {
                out.put(t.name(), new SafetensorsWriter.Tensor(t.dims(), t.floats()));
            }
        }
        if (!out.containsKey("embeddings.word_embeddings.weight")) {
            throw new OnnxGraph.OnnxFormatException("not a BERT-family encoder export: no 'embeddings.word_embeddings.weight'"
                    + " (tensors: " + new TreeSet<>(graph.initializers().keySet()).stream().limit(8).toList() + "…)");
        }
        for (String name : List.copyOf(out.keySet())) {
            if (name.endsWith(".bias") && !name.contains("LayerNorm") && !out.containsKey(name.replaceAll("\\.bias$", ".weight"))) {
                throw new OnnxGraph.OnnxFormatException("no weight found for '" + name + "': the export's linear layers are not "
                        + "in the MatMul + Add form this importer reads");
            }
        }
        return out;
    }

    static JsonObject config(OnnxGraph graph, Map<String, SafetensorsWriter.Tensor> tensors) {
        long[] words = tensors.get("embeddings.word_embeddings.weight").shape();
        int hidden = (int) words[1];
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : tensors.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        int headDim = headDim(graph);
        if (headDim <= 0 || hidden % headDim != 0) {
            throw new OnnxGraph.OnnxFormatException("cannot tell the number of attention heads from the export");
        }
        SafetensorsWriter.Tensor positions = tensors.get("embeddings.position_embeddings.weight");
        SafetensorsWriter.Tensor types = tensors.get("embeddings.token_type_embeddings.weight");
        SafetensorsWriter.Tensor intermediate = tensors.get("encoder.layer.0.intermediate.dense.bias");
        return new JsonObject()
                .put("architectures", new JsonArray().add("BertModel"))
                .put("model_type", "bert")
                .put("hidden_size", hidden)
                .put("num_hidden_layers", layers.size())
                .put("num_attention_heads", hidden / headDim)
                .put("intermediate_size", intermediate == null ? 4 * hidden : (int) intermediate.shape()[0])
                .put("hidden_act", "gelu")
                .put("max_position_embeddings", positions == null ? 512 : (int) positions.shape()[0])
                .put("type_vocab_size", types == null ? 0 : (int) types.shape()[0])
                .put("vocab_size", (int) words[0])
                .put("layer_norm_eps", epsilon(graph))
                .put("pad_token_id", 0)
                .put("position_embedding_type", "absolute")
                .put("torch_dtype", "float32")
                .put("lmaas_imported_from", "onnx");
    }

    /** The attention scale is 1/√d (a Mul) or √d (a Div) right after Q·Kᵀ: d is the head size. */
    private static int headDim(OnnxGraph graph) {
        Map<String, OnnxGraph.Node> producer = producers(graph);
        Map<String, Float> constants = scalars(graph);
        for (OnnxGraph.Node n : graph.nodes()) {
            if ((!"Div".equals(n.op()) && !"Mul".equals(n.op())) || n.inputs().size() != 2) {
                continue;
            }
            OnnxGraph.Node before = producer.get(n.inputs().get(0));
            Float c = constants.get(n.inputs().get(1));
            if (before == null || c == null || !"MatMul".equals(before.op())
                    || before.inputs().stream().anyMatch(graph.initializers()::containsKey)) {
                continue;
            }
            double d = "Div".equals(n.op()) ? (double) c * c : 1.0 / ((double) c * c);
            return (int) Math.round(d);
        }
        return -1;
    }

    /** The epsilon a layer norm adds to the variance (the first small constant added to a ReduceMean). */
    private static double epsilon(OnnxGraph graph) {
        Map<String, OnnxGraph.Node> producer = producers(graph);
        Map<String, Float> constants = scalars(graph);
        for (OnnxGraph.Node n : graph.nodes()) {
            if ("Add".equals(n.op()) && n.inputs().size() == 2 && producer.get(n.inputs().get(0)) != null
                    && "ReduceMean".equals(producer.get(n.inputs().get(0)).op()) && constants.containsKey(n.inputs().get(1))) {
                return Double.parseDouble(Float.toString(constants.get(n.inputs().get(1)))); // 1e-12, not 9.99…e-13
            }
        }
        return 1e-12;
    }

    /** The node that makes each value. */
    private static Map<String, OnnxGraph.Node> producers(OnnxGraph graph) {
        Map<String, OnnxGraph.Node> producer = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) {
            n.outputs().forEach(o -> producer.put(o, n));
        }
        return producer;
    }

    /** Every float scalar by name: Constant nodes' outputs and one-element initializers. */
    private static Map<String, Float> scalars(OnnxGraph graph) {
        Map<String, Float> constants = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) {
            if ("Constant".equals(n.op()) && n.value() != null && n.value().elements() == 1 && n.value().dataType() == OnnxGraph.FLOAT) {
                constants.put(n.outputs().get(0), n.value().floats()[0]);
            }
        }
        graph.initializers().values().stream().filter(t -> t.elements() == 1 && t.dataType() == OnnxGraph.FLOAT)
                .forEach(t -> constants.put(t.name(), t.floats()[0]));
        return constants;
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] out = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = a[r * cols + c];
            }
        }
        return out;
    }
}
