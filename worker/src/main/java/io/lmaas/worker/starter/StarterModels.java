package io.lmaas.worker.starter;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.DecoderLm;
import io.lmaas.worker.nn.EncoderClassifier;
import io.lmaas.worker.nn.TransformerSpec;
import io.lmaas.worker.tokenizer.ByteLevelBpeTrainer;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.lmaas.worker.training.ClassifierTrainer;
import io.lmaas.worker.training.LanguageModelTrainer;
import io.lmaas.worker.training.TrainingOptions;
import io.lmaas.worker.training.TrainingReport;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The two starter models the platform trains for itself on first start, from {@link SyntheticTopics}:
 * a Transformer-encoder topic classifier and a small decoder-only generator. Each is written as a
 * complete model version directory (serving.properties, weights, tokenizer.json, training.json),
 * atomically: a crash mid-training leaves no half-written version behind.
 */
public final class StarterModels {
    public static final String CLASSIFIER = "starter-classifier";
    public static final String GENERATOR = "starter-generator";
    public static final String PAD = "<pad>";
    public static final String EOS = "<|endoftext|>";

    private StarterModels() {
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StarterModels.class);
    private static final int ATTEMPTS = 3;

    /**
     * Trains the named starter model into {@code out} unless a complete version is already there. A run that
     * does not converge (CPU kernels are not bit-reproducible, and a rare run diverges) is discarded and
     * retried with the next seed.
     */
    public static void ensure(String name, Path out, long seed) throws IOException {
        if (Files.isRegularFile(out.resolve(ServingProperties.FILE))) {
            return;
        }
        if (!name.equals(CLASSIFIER) && !name.equals(GENERATOR)) {
            throw new IllegalArgumentException("unknown starter model '" + name + "' (expected " + CLASSIFIER + " or "
                    + GENERATOR + ")");
        }
        for (int attempt = 0; ; attempt++) {
            try {
                if (name.equals(CLASSIFIER)) {
                    trainClassifier(out, seed + attempt);
                } else {
                    trainGenerator(out, seed + attempt);
                }
                return;
            } catch (IllegalStateException e) {
                if (attempt + 1 >= ATTEMPTS) {
                    throw e;
                }
                LOG.warn("{}: {}; retrying with seed {}", name, e.getMessage(), seed + attempt + 1);
            }
        }
    }

    public static TrainingReport trainClassifier(Path out, long seed) throws IOException {
        List<SyntheticTopics.Example> train = SyntheticTopics.examples(4000, seed);
        List<SyntheticTopics.Example> validation = SyntheticTopics.examples(400, seed + 1);
        return atomically(out, dir -> {
            ByteLevelBpeTrainer.Trained bpe = ByteLevelBpeTrainer.train(
                    train.stream().map(SyntheticTopics.Example::text).toList(), 1000, List.of(PAD));
            bpe.write(dir.resolve("tokenizer.json"));
            TransformerSpec spec = new TransformerSpec(bpe.vocab().size(), 64, 4, 2, 64);
            ServingProperties props = ServingProperties.classifier(spec, SyntheticTopics.LABELS, PAD);
            EncoderClassifier block = new EncoderClassifier(spec, SyntheticTopics.LABELS.size());
            try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
                TrainingReport report = ClassifierTrainer.train(block,
                        samples(tokenizer, train, spec.maxLength()), samples(tokenizer, validation, spec.maxLength()),
                        tokenizer.encode(PAD)[0], new TrainingOptions(4, 32, 1e-3f, seed), dir.resolve(props.weightsFile()));
                if (!(report.validationAccuracy() >= 0.9)) {
                    throw new IllegalStateException("the classifier did not converge (validation accuracy "
                            + report.validationAccuracy() + ")");
                }
                props.write(dir);
                return report;
            }
        });
    }

    public static TrainingReport trainGenerator(Path out, long seed) throws IOException {
        String corpus = SyntheticTopics.corpus(600, seed, EOS);
        return atomically(out, dir -> {
            ByteLevelBpeTrainer.Trained bpe = ByteLevelBpeTrainer.train(Arrays.asList(corpus.split("\\Q" + EOS + "\\E")),
                    768, List.of(EOS));
            bpe.write(dir.resolve("tokenizer.json"));
            TransformerSpec spec = new TransformerSpec(bpe.vocab().size(), 128, 4, 2, 64);
            ServingProperties props = ServingProperties.generator(spec, EOS);
            try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
                TrainingReport report = LanguageModelTrainer.train(new DecoderLm(spec), tokenizer.encode(corpus),
                        new TrainingOptions(12, 16, 2e-3f, seed), dir.resolve(props.weightsFile()));
                double last = report.epochLoss().get(report.epochLoss().size() - 1);
                if (!(last < 2.0)) {
                    throw new IllegalStateException("the generator did not converge (last epoch loss " + last + ")");
                }
                props.write(dir);
                return report;
            }
        });
    }

    private static List<ClassifierTrainer.Sample> samples(TextTokenizer tokenizer, List<SyntheticTopics.Example> examples,
            int maxLength) {
        return ClassifierTrainer.tokenize(tokenizer, examples.stream().map(SyntheticTopics.Example::text).toList(),
                examples.stream().map(e -> SyntheticTopics.LABELS.indexOf(e.label())).toList(), maxLength);
    }

    @FunctionalInterface
    private interface Build {
        TrainingReport into(Path directory) throws IOException;
    }

    private static TrainingReport atomically(Path out, Build build) throws IOException {
        Files.createDirectories(out.getParent());
        Path tmp = Files.createTempDirectory(out.getParent(), out.getFileName() + ".partial-");
        try {
            TrainingReport report = build.into(tmp);
            JsonObject json = new JsonObject()
                    .put("epoch_loss", new JsonArray(report.epochLoss().stream().map(Object.class::cast).toList()))
                    .put("steps", report.steps())
                    .put("millis", report.millis());
            if (!Double.isNaN(report.validationAccuracy())) {
                json.put("validation_accuracy", report.validationAccuracy());
            }
            Files.writeString(tmp.resolve("training.json"), json.encodePrettily(), StandardCharsets.UTF_8);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return report;
        } finally {
            deleteRecursively(tmp);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
