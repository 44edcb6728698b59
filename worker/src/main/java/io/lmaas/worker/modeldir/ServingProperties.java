package io.lmaas.worker.modeldir;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.worker.nn.TransformerSpec;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A model version's {@code serving.properties}: what the directory holds and how to serve it.
 *
 * <pre>
 * task=text-classification | text-generation
 * engine=PyTorch
 * architecture=encoder-classifier | decoder-lm        (the built-in networks; also the I/O contract of a TorchScript file)
 * format=djl | safetensors | torchscript              (how the weights are stored; default djl)
 * vocab_size, d_model, heads, layers, max_length
 * labels=a,b,c                                         (classifiers)
 * eos_token=&lt;|endoftext|&gt;                        (generators)
 * weights=weights.params | model.safetensors | model.pt
 * tokenizer=tokenizer.json
 * batch.max_size=32, batch.max_delay_ms=5, batch.queue_capacity=1024, batch.threads=1, batch.max_pass_tokens=2048
 * chat.system, chat.user, chat.assistant ({content} placeholder), chat.generation_prompt
 * </pre>
 */
public record ServingProperties(String task, String engine, String architecture, String format, TransformerSpec spec,
        List<String> labels, String eosToken, String padToken, String weightsFile, String tokenizerFile,
        Map<String, String> options) {

    public static final String FILE = "serving.properties";
    public static final String CLASSIFICATION = "text-classification";
    public static final String GENERATION = "text-generation";
    public static final String ENCODER_CLASSIFIER = "encoder-classifier";
    public static final String DECODER_LM = "decoder-lm";
    public static final List<String> FORMATS = List.of("djl", "safetensors", "torchscript");

    /** Batching settings declared by the model version ({@code batch.*} options of serving.properties). */
    public record Batching(int maxBatchSize, Duration maxBatchDelay, int queueCapacity, int threads, int maxPassTokens) {

        /** Reads the {@code batch.*} options; a bad value is a {@link ModelDirectoryException} naming it. */
        public static Batching of(Map<String, String> options, boolean generator) {
            return new Batching(
                    intOption(options, "batch.max_size", generator ? 16 : 32, 1, 4096),
                    Duration.ofMillis(intOption(options, "batch.max_delay_ms", 5, 0, 10_000)),
                    intOption(options, "batch.queue_capacity", 1024, 1, 1_000_000),
                    intOption(options, "batch.threads", 1, 1, 64),
                    intOption(options, "batch.max_pass_tokens", 2048, 1, 1 << 20));
        }

        private static int intOption(Map<String, String> options, String key, int defaultValue, int min, int max) {
            String v = options.get(key);
            if (v == null) {
                return defaultValue;
            }
            try {
                int i = Integer.parseInt(v.trim());
                if (i >= min && i <= max) {
                    return i;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new ModelDirectoryException(FILE + ": '" + key + "' must be an integer from " + min + " to " + max);
        }
    }

    public ServingProperties {
        labels = List.copyOf(labels);
        options = Map.copyOf(options);
    }

    public static ServingProperties classifier(TransformerSpec spec, List<String> labels, String padToken) {
        return new ServingProperties(CLASSIFICATION, "PyTorch", ENCODER_CLASSIFIER, "djl", spec, labels, null, padToken,
                "weights.params", "tokenizer.json", Map.of("batch.max_size", "32", "batch.max_delay_ms", "5"));
    }

    public static ServingProperties generator(TransformerSpec spec, String eosToken) {
        return new ServingProperties(GENERATION, "PyTorch", DECODER_LM, "djl", spec, List.of(), eosToken, null,
                "weights.params", "tokenizer.json", Map.of("batch.max_size", "16",
                        "chat.system", "{content}\n", "chat.user", "{content}\n", "chat.assistant", "{content}\n",
                        "chat.generation_prompt", ""));
    }

    /** The same version stored in another weights format. */
    public ServingProperties withFormat(String newFormat, String newWeightsFile) {
        return new ServingProperties(task, engine, architecture, newFormat, spec, labels, eosToken, padToken, newWeightsFile,
                tokenizerFile, options);
    }

    public Batching batching() {
        return Batching.of(options, GENERATION.equals(task));
    }

    /** The chat template, if the version declares one ({@code chat.user} at least). */
    public Optional<io.lmaas.worker.chat.ChatTemplate> chatTemplate() {
        if (!options.containsKey("chat.user")) {
            return Optional.empty();
        }
        return Optional.of(new io.lmaas.worker.chat.FieldChatTemplate(options.getOrDefault("chat.system", "{content}\n"), options.get("chat.user"),
                options.getOrDefault("chat.assistant", "{content}\n"), options.getOrDefault("chat.generation_prompt", "")));
    }

    public static ServingProperties read(Path directory) {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelDirectoryException(directory + ": missing " + FILE);
        }
        Properties p = new Properties();
        try (Reader r = Artifacts.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
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
        String format = p.getProperty("format", "djl").trim();
        Map<String, String> options = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("batch.") || name.startsWith("chat.")) {
                options.put(name, p.getProperty(name));
            }
        }
        ServingProperties props = new ServingProperties(task, p.getProperty("engine", "PyTorch"), architecture, format, spec,
                labels, p.getProperty("eos_token"), p.getProperty("pad_token"),
                p.getProperty("weights", defaultWeights(format)), p.getProperty("tokenizer", "tokenizer.json"), options);
        props.validate(directory);
        return props;
    }

    private static String defaultWeights(String format) {
        return switch (format) {
            case "safetensors" -> "model.safetensors";
            case "torchscript" -> "model.pt";
            default -> "weights.params";
        };
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
        if (!FORMATS.contains(format)) {
            throw new ModelDirectoryException(directory + ": unknown format '" + format + "'; known: " + FORMATS);
        }
        for (String f : List.of(weightsFile, tokenizerFile)) {
            if (!Files.isRegularFile(directory.resolve(f))) {
                throw new ModelDirectoryException(directory + ": missing " + f);
            }
        }
        batching();
        chatTemplate().ifPresent(t -> t.render(List.of(new io.lmaas.worker.chat.ChatTemplate.Message("user", "x"))));
    }

    public void write(Path directory) throws IOException {
        TreeMap<String, String> m = new TreeMap<>(options);
        m.put("task", task);
        m.put("engine", engine);
        m.put("architecture", architecture);
        m.put("format", format);
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
        try (Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(Artifacts.newOutputStream(directory.resolve(FILE)), StandardCharsets.UTF_8))) {
            w.write("# LMaaS model version\n");
            for (var e : m.entrySet()) {
                w.write(escape(e.getKey()) + "=" + escape(e.getValue()) + "\n");
            }
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("=", "\\=").replace(":", "\\:");
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
