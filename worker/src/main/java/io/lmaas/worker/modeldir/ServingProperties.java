package io.lmaas.worker.modeldir;

import io.lmaas.worker.nn.TransformerSpec;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A model version's {@code serving.properties}: what the directory holds and how to serve it.
 *
 * <pre>
 * task=text-classification | text-generation
 * engine=PyTorch
 * architecture=encoder-classifier | decoder-lm
 * vocab_size, d_model, heads, layers, max_length
 * labels=a,b,c            (classifiers)
 * eos_token=&lt;|endoftext|&gt;  (generators)
 * weights=weights.params
 * tokenizer=tokenizer.json
 * </pre>
 */
public record ServingProperties(String task, String engine, String architecture, TransformerSpec spec, List<String> labels,
        String eosToken, String padToken, String weightsFile, String tokenizerFile) {

    public static final String FILE = "serving.properties";
    public static final String CLASSIFICATION = "text-classification";
    public static final String GENERATION = "text-generation";
    public static final String ENCODER_CLASSIFIER = "encoder-classifier";
    public static final String DECODER_LM = "decoder-lm";

    public ServingProperties {
        labels = List.copyOf(labels);
    }

    public static ServingProperties classifier(TransformerSpec spec, List<String> labels, String padToken) {
        return new ServingProperties(CLASSIFICATION, "PyTorch", ENCODER_CLASSIFIER, spec, labels, null, padToken,
                "weights.params", "tokenizer.json");
    }

    public static ServingProperties generator(TransformerSpec spec, String eosToken) {
        return new ServingProperties(GENERATION, "PyTorch", DECODER_LM, spec, List.of(), eosToken, null,
                "weights.params", "tokenizer.json");
    }

    public static ServingProperties read(Path directory) {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelDirectoryException(directory + ": missing " + FILE);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new ModelDirectoryException(file + ": unreadable: " + e.getMessage(), e);
        }
        String task = required(p, file, "task");
        String architecture = required(p, file, "architecture");
        TransformerSpec spec;
        try {
            spec = new TransformerSpec(integer(p, file, "vocab_size"), integer(p, file, "d_model"),
                    integer(p, file, "heads"), integer(p, file, "layers"), integer(p, file, "max_length"));
        } catch (IllegalArgumentException e) {
            throw new ModelDirectoryException(file + ": " + e.getMessage(), e);
        }
        List<String> labels = p.getProperty("labels", "").isBlank() ? List.of()
                : Arrays.stream(p.getProperty("labels").split(",")).map(String::trim).toList();
        ServingProperties props = new ServingProperties(task, p.getProperty("engine", "PyTorch"), architecture, spec, labels,
                p.getProperty("eos_token"), p.getProperty("pad_token"), p.getProperty("weights", "weights.params"),
                p.getProperty("tokenizer", "tokenizer.json"));
        props.validate(directory);
        return props;
    }

    private void validate(Path directory) {
        switch (task) {
            case CLASSIFICATION -> {
                if (!ENCODER_CLASSIFIER.equals(architecture)) {
                    throw new ModelDirectoryException(directory + ": task " + task + " needs architecture " + ENCODER_CLASSIFIER);
                }
                if (labels.size() < 2) {
                    throw new ModelDirectoryException(directory + ": a classifier needs at least two labels");
                }
            }
            case GENERATION -> {
                if (!DECODER_LM.equals(architecture)) {
                    throw new ModelDirectoryException(directory + ": task " + task + " needs architecture " + DECODER_LM);
                }
                if (eosToken == null) {
                    throw new ModelDirectoryException(directory + ": a generator needs eos_token");
                }
            }
            default -> throw new ModelDirectoryException(directory + ": unknown task '" + task + "'");
        }
        if (!"PyTorch".equals(engine)) {
            throw new ModelDirectoryException(directory + ": unsupported engine '" + engine + "'");
        }
        for (String f : List.of(weightsFile, tokenizerFile)) {
            if (!Files.isRegularFile(directory.resolve(f))) {
                throw new ModelDirectoryException(directory + ": missing " + f);
            }
        }
    }

    public void write(Path directory) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        m.put("task", task);
        m.put("engine", engine);
        m.put("architecture", architecture);
        m.put("vocab_size", Integer.toString(spec.vocabSize()));
        m.put("d_model", Integer.toString(spec.dModel()));
        m.put("heads", Integer.toString(spec.heads()));
        m.put("layers", Integer.toString(spec.layers()));
        m.put("max_length", Integer.toString(spec.maxLength()));
        if (!labels.isEmpty()) {
            m.put("labels", String.join(",", labels));
        }
        if (eosToken != null) {
            m.put("eos_token", eosToken);
        }
        if (padToken != null) {
            m.put("pad_token", padToken);
        }
        m.put("weights", weightsFile);
        m.put("tokenizer", tokenizerFile);
        try (Writer w = Files.newBufferedWriter(directory.resolve(FILE), StandardCharsets.UTF_8)) {
            w.write("# LMaaS model version\n");
            for (var e : m.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue().replace("\\", "\\\\") + "\n");
            }
        }
    }

    private static String required(Properties p, Path file, String key) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new ModelDirectoryException(file + ": missing '" + key + "'");
        }
        return v.trim();
    }

    private static int integer(Properties p, Path file, String key) {
        String v = required(p, file, key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ModelDirectoryException(file + ": '" + key + "' must be an integer, got '" + v + "'");
        }
    }
}
