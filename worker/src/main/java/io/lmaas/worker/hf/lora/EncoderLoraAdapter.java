package io.lmaas.worker.hf.lora;

import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.SafetensorsReader;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter for a BERT-family encoder classifier (PEFT's task type {@code SEQ_CLS}), read and checked against
 * the base: low-rank factors on the layers' projections, named as PEFT names them
 * ({@code base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight}; the family prefix may be absent when
 * the adapted model was a bare encoder), and the classification head PEFT saves whole ({@code modules_to_save}:
 * {@code base_model.model.classifier.weight} …) with its labels from an optional {@code config.json} beside it
 * ({@code id2label}, what {@code model.config.save_pretrained} writes; {@code LABEL_0} … otherwise). A head's dense layer
 * the adapter does not carry is the base's, which must then be a classifier. Targets are leaf names ({@code query},
 * {@code dense}, {@code q_lin} …) or paths inside a layer. Pure file reading.
 *
 * @param head the adapter's head tensors by their sequence-classifier names ({@code classifier.weight} …)
 */
public record EncoderLoraAdapter(int rank, double scaling, Map<LoraAdapter.Key, LoraAdapter.Pair> weights,
        Map<String, SafetensorsReader.Tensor> head, List<String> labels) implements LowRankAdapter {

    private static final Pattern FACTOR = Pattern.compile(
            "^base_model\\.model\\.(?:(bert|roberta|distilbert)\\.)?(encoder\\.layer|transformer\\.layer)\\.(\\d+)\\.(.+)\\.lora_([AB])(?:\\.default)?\\.weight$");
    private static final Pattern SAVED = Pattern.compile("^base_model\\.model\\.(.+?)(?:\\.modules_to_save)?(?:\\.default)?\\.(weight|bias)$");

    public static EncoderLoraAdapter load(Path dir, EncoderConfig base) {
        PeftConfig peft = PeftConfig.read(dir);
        List<String> projections = base.projections();
        for (String target : peft.targets()) {
            if (projections.stream().noneMatch(p -> p.equals(target) || p.endsWith("." + target))) {
                throw new ModelDirectoryException("adapter_config.json: target module '" + target + "' is not a projection of a "
                        + base.family().modelType + " layer " + leafNames(base));
            }
        }
        String[] headModules = base.headModules();
        int h = base.hidden();
        Map<LoraAdapter.Key, float[]> as = new LinkedHashMap<>();
        Map<LoraAdapter.Key, float[]> bs = new LinkedHashMap<>();
        Map<String, SafetensorsReader.Tensor> head = new LinkedHashMap<>();
        SafetensorsReader.read(peft.weights(), (name, t) -> {
            Matcher m = FACTOR.matcher(name);
            if (m.matches()) {
                factor(m, name, t, base, peft, as, bs);
                return;
            }
            Matcher saved = SAVED.matcher(name);
            String module = saved.matches() ? saved.group(1) : null;
            if (module == null || !Arrays.asList(headModules).contains(module)) {
                throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' is neither a LoRA factor of an encoder "
                        + "layer nor part of a " + base.family().modelType + " classification head " + Arrays.toString(headModules));
            }
            boolean dense = module.equals(headModules[0]);
            boolean weight = saved.group(2).equals("weight");
            long rows = t.shape().length > 0 ? t.shape()[0] : 0;
            long[] want = dense ? (weight ? new long[] {h, h} : new long[] {h}) : (weight ? new long[] {rows, h} : new long[] {rows});
            if (!Arrays.equals(t.shape(), want) || rows < 1) {
                throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + "; this base's head needs " + Arrays.toString(want));
            }
            head.put(module + "." + saved.group(2), t);
        });
        Map<LoraAdapter.Key, LoraAdapter.Pair> weights = LoraAdapter.pairs(as, bs, base::dims);
        return new EncoderLoraAdapter(peft.rank(), peft.scaling(), weights, head, labels(dir, head, headModules, base));
    }

    private static void factor(Matcher m, String name, SafetensorsReader.Tensor t, EncoderConfig base, PeftConfig peft,
            Map<LoraAdapter.Key, float[]> as, Map<LoraAdapter.Key, float[]> bs) {
        if (m.group(1) != null && !m.group(1).equals(base.family().prefix)) {
            throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' is for a " + m.group(1)
                    + " model; the base is " + base.family().modelType);
        }
        if (!(m.group(2) + ".").equals(base.layersPath())) {
            throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' does not name a " + base.family().modelType
                    + " layer (" + base.layersPath() + "N.…)");
        }
        int layer = Integer.parseInt(m.group(3));
        String projection = m.group(4);
        if (!base.projections().contains(projection)) {
            throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' adapts '" + projection
                    + "', which is not a projection of the layer " + base.projections());
        }
        if (peft.targets().stream().noneMatch(target -> projection.equals(target) || projection.endsWith("." + target))) {
            throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' adapts " + projection
                    + ", which target_modules " + peft.targets() + " does not name");
        }
        if (layer >= base.layers()) {
            throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' is for layer " + layer + " but the base has "
                    + base.layers());
        }
        int[] dims = base.dims(projection);
        boolean isA = m.group(5).equals("A");
        long[] want = isA ? new long[] {peft.rank(), dims[1]} : new long[] {dims[0], peft.rank()};
        if (!Arrays.equals(t.shape(), want)) {
            throw new ModelDirectoryException("adapter_model.safetensors: tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + "; rank " + peft.rank() + " on this base needs " + Arrays.toString(want));
        }
        (isA ? as : bs).put(new LoraAdapter.Key(layer, projection), t.values());
    }

    /** The head's labels: config.json's id2label when it names as many as the scores; Hugging Face's LABEL_i otherwise. */
    private static List<String> labels(Path dir, Map<String, SafetensorsReader.Tensor> head, String[] modules, EncoderConfig base) {
        SafetensorsReader.Tensor scores = head.get(modules[1] + ".weight");
        boolean bias = head.containsKey(modules[1] + ".bias");
        if (scores == null) {
            if (!head.isEmpty()) {
                throw new ModelDirectoryException("adapter_model.safetensors: the head saves " + head.keySet() + " but not " + modules[1]
                        + ".weight (its scores)");
            }
            if (!base.classifier()) {
                throw new ModelDirectoryException("adapter_model.safetensors: no classification head (modules_to_save), and the base is a "
                        + "bare encoder without one");
            }
            return List.copyOf(base.labels().values());
        }
        if (!bias || head.get(modules[1] + ".bias").shape()[0] != scores.shape()[0]) {
            throw new ModelDirectoryException("adapter_model.safetensors: the head's " + modules[1] + ".bias is missing or of another size");
        }
        if (!base.classifier() && !(head.containsKey(modules[0] + ".weight") && head.containsKey(modules[0] + ".bias"))) {
            throw new ModelDirectoryException("adapter_model.safetensors: the head needs its " + modules[0] + " layer (modules_to_save): "
                    + "the base is a bare encoder without one");
        }
        int count = (int) scores.shape()[0];
        JsonObject config = HfDirectory.json(dir, "config.json");
        JsonObject id2label = config == null ? null : config.getJsonObject("id2label");
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String label = id2label == null || id2label.size() != count ? null : id2label.getString(Integer.toString(i));
            labels.add(label != null ? label : "LABEL_" + i);
        }
        if (new TreeSet<>(labels).size() != labels.size()) {
            throw new ModelDirectoryException("config.json: id2label names a label twice");
        }
        return List.copyOf(labels);
    }

    private static TreeSet<String> leafNames(EncoderConfig base) {
        TreeSet<String> out = new TreeSet<>();
        base.projections().forEach(p -> out.add(p.substring(p.lastIndexOf('.') + 1)));
        return out;
    }

    /** Bytes the factors and head take in float32. */
    public long bytes() {
        return weights.values().stream().mapToLong(p -> 4L * (p.a().length + p.b().length)).sum()
                + head.values().stream().mapToLong(t -> 4L * t.values().length).sum();
    }
}
