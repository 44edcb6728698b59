package io.lmaas.worker.training;

import io.lmaas.core.crypto.Artifacts;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.modeldir.Weights;
import io.lmaas.worker.nn.DecoderLm;
import io.lmaas.worker.nn.EncoderClassifier;
import io.lmaas.worker.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * Fine-tuning a built-in model version on a tenant's examples, epoch by epoch, with a servable checkpoint
 * (serving.properties, tokenizer, weights) after each epoch so an interrupted run resumes from the last
 * one. Classification: a new label set is allowed — the encoder continues from the base weights, the head
 * is new unless the labels are the base's own. Generation: the language model continues training on the
 * examples' text (prompt, completion, end-of-sequence).
 */
public final class FineTuning {

    /** What a run reports as it goes (called on the training thread). */
    public interface Listener {
        /** After an optimisation step ({@code step} counts from the start of the job, across epochs). */
        void step(int epoch, int step, double loss);

        /** After an epoch's checkpoint was written to {@code checkpoint}. */
        void epoch(int epoch, int step, Metrics metrics, Path checkpoint) throws IOException;
    }

    /** An epoch's measures: mean training loss, validation loss and (classifiers) accuracy; NaN where not measured. */
    public record Metrics(double trainLoss, double validLoss, double accuracy) {
    }

    /** Epochs {@code startEpoch}..{@code epochs - 1} at this batch size and learning rate, seeded. */
    public record Plan(int startEpoch, int epochs, int batchSize, float learningRate, long seed) {
    }

    /** How the run ended: completed (its last checkpoint is the model), or stopped because it was cancelled. */
    public record Outcome(boolean completed, long trainedTokens, int steps, Path lastCheckpoint) {
    }

    private FineTuning() {
    }

    /** The learning rate a multiplier of 1 means: the rate the starter models were trained with. */
    public static float baseLearningRate(ServingProperties base) {
        return ServingProperties.GENERATION.equals(base.task()) ? 2e-3f : 1e-3f;
    }

    public static Outcome classifier(Path baseDir, Path resumeFrom, List<String> texts, List<String> labels, List<String> validTexts,
            List<String> validLabels, List<String> labelSet, Plan plan, Path checkpoints, BooleanSupplier cancelled,
            Listener listener) throws IOException {
        ServingProperties base = readTrainable(baseDir, ServingProperties.ENCODER_CLASSIFIER);
        ServingProperties props = ServingProperties.classifier(base.spec(), labelSet, base.padToken());
        try (TextTokenizer tokenizer = TextTokenizer.load(baseDir.resolve(base.tokenizerFile()))) {
            long pad = base.padToken() == null ? 0 : tokenizer.encode(base.padToken())[0];
            int maxLength = base.spec().maxLength();
            List<ClassifierTrainer.Sample> train = ClassifierTrainer.tokenize(tokenizer, texts, indices(labels, labelSet), maxLength);
            List<ClassifierTrainer.Sample> valid = ClassifierTrainer.tokenize(tokenizer, validTexts, indices(validLabels, labelSet),
                    maxLength);
            long tokens = train.stream().mapToLong(s -> s.ids().length).sum();
            EncoderClassifier block = new EncoderClassifier(base.spec(), labelSet.size());
            TrainingOptions options = new TrainingOptions(plan.epochs(), plan.batchSize(), plan.learningRate(), plan.seed());
            try (Trainers.Session session = Trainers.open("fine-tune", block, options, new Shape(plan.batchSize(), maxLength),
                    new Shape(plan.batchSize(), maxLength))) {
                copyFrom(resumeFrom != null ? new EncoderClassifier(base.spec(), labelSet.size())
                        : new EncoderClassifier(base.spec(), base.labels().size()), resumeFrom != null ? resumeFrom : baseDir, block);
                List<ClassifierTrainer.Sample> order = new ArrayList<>(train);
                int step = plan.startEpoch() * steps(train.size(), plan.batchSize());
                Path last = resumeFrom;
                for (int epoch = plan.startEpoch(); epoch < plan.epochs(); epoch++) {
                    Collections.shuffle(order, new Random(plan.seed() + epoch));
                    Trainers.EpochLoss loss = new Trainers.EpochLoss();
                    for (int from = 0; from < order.size(); from += plan.batchSize()) {
                        if (cancelled.getAsBoolean()) {
                            return new Outcome(false, tokens * epoch, step, last);
                        }
                        List<ClassifierTrainer.Sample> batch = order.subList(from, Math.min(order.size(), from + plan.batchSize()));
                        float l = session.step(m -> new NDList[] {ClassifierTrainer.inputs(m, batch, pad),
                            new NDList(m.create(batch.stream().mapToInt(ClassifierTrainer.Sample::label).toArray()))});
                        loss.add(l, epoch, step);
                        step++;
                        listener.step(epoch, step, l);
                    }
                    Metrics metrics = new Metrics(loss.mean(), validLoss(block, valid, pad), ClassifierTrainer.accuracy(block, valid, pad));
                    last = checkpoint(checkpoints, epoch, props, baseDir.resolve(base.tokenizerFile()), block);
                    listener.epoch(epoch, step, metrics, last);
                }
                return new Outcome(true, tokens * (plan.epochs() - plan.startEpoch()), step, last);
            }
        }
    }

    public static Outcome languageModel(Path baseDir, Path resumeFrom, List<String> documents, List<String> validDocuments,
            Plan plan, Path checkpoints, BooleanSupplier cancelled, Listener listener) throws IOException {
        ServingProperties base = readTrainable(baseDir, ServingProperties.DECODER_LM);
        try (TextTokenizer tokenizer = TextTokenizer.load(baseDir.resolve(base.tokenizerFile()))) {
            int window = base.spec().maxLength();
            long[] train = stream(tokenizer, documents, base.eosToken(), window);
            long[] valid = validDocuments.isEmpty() ? new long[0] : stream(tokenizer, validDocuments, base.eosToken(), window);
            DecoderLm block = new DecoderLm(base.spec());
            TrainingOptions options = new TrainingOptions(plan.epochs(), plan.batchSize(), plan.learningRate(), plan.seed());
            int batch = plan.batchSize();
            int stepsPerEpoch = Math.max(1, train.length / (batch * window));
            try (Trainers.Session session = Trainers.open("fine-tune", block, options, new Shape(batch, window))) {
                copyFrom(new DecoderLm(base.spec()), resumeFrom != null ? resumeFrom : baseDir, block);
                Random random = new Random(plan.seed() + plan.startEpoch());
                int step = plan.startEpoch() * stepsPerEpoch;
                Path last = resumeFrom;
                for (int epoch = plan.startEpoch(); epoch < plan.epochs(); epoch++) {
                    Trainers.EpochLoss loss = new Trainers.EpochLoss();
                    for (int s = 0; s < stepsPerEpoch; s++) {
                        if (cancelled.getAsBoolean()) {
                            return new Outcome(false, (long) step * batch * window, step, last);
                        }
                        long[] x = new long[batch * window];
                        long[] y = new long[batch * window];
                        for (int b = 0; b < batch; b++) {
                            int offset = random.nextInt(train.length - window - 1);
                            System.arraycopy(train, offset, x, b * window, window);
                            System.arraycopy(train, offset + 1, y, b * window, window);
                        }
                        float l = session.step(m -> new NDList[] {new NDList(m.create(x, new Shape(batch, window))),
                            new NDList(m.create(y, new Shape(batch, window)))});
                        loss.add(l, epoch, step);
                        step++;
                        listener.step(epoch, step, l);
                    }
                    Metrics metrics = new Metrics(loss.mean(), languageModelLoss(block, valid, window), Double.NaN);
                    last = checkpoint(checkpoints, epoch, base, baseDir.resolve(base.tokenizerFile()), block);
                    listener.epoch(epoch, step, metrics, last);
                }
                return new Outcome(true, (long) (plan.epochs() - plan.startEpoch()) * stepsPerEpoch * batch * window, step, last);
            }
        }
    }

    private static ServingProperties readTrainable(Path dir, String architecture) {
        ServingProperties p = ServingProperties.read(dir);
        if (!architecture.equals(p.architecture())) {
            throw new ModelDirectoryException("the base model is a " + p.architecture() + ", not a " + architecture);
        }
        if (!"djl".equals(p.format()) && !"safetensors".equals(p.format())) {
            throw new ModelDirectoryException("a " + p.format() + " model cannot be fine-tuned (its graph is fixed); use a"
                    + " built-in architecture in djl or safetensors format");
        }
        return p;
    }

    private static Block load(Block block, NDManager manager, Path dir) {
        ServingProperties props = ServingProperties.read(dir);
        block.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, inputShapes(block, props));
        if ("safetensors".equals(props.format())) {
            Weights.loadSafetensors(block, manager, dir.resolve(props.weightsFile()));
        } else {
            Weights.load(block, manager, dir.resolve(props.weightsFile()));
        }
        return block;
    }

    private static Shape[] inputShapes(Block block, ServingProperties props) {
        int t = props.spec().maxLength();
        return block instanceof EncoderClassifier ? new Shape[] {new Shape(1, t), new Shape(1, t)} : new Shape[] {new Shape(1, t)};
    }

    /**
     * Loads {@code source} from {@code dir}, copies what matches into {@code block}, and frees the source at once, so
     * training never runs beside a second copy of the weights.
     */
    private static void copyFrom(Block source, Path dir, Block block) {
        try (NDManager sources = NDManager.newBaseManager("PyTorch")) {
            copyMatching(load(source, sources, dir), block);
        }
    }

    /** Copies every parameter of {@code from} whose dotted name and shape {@code to} has too (a new head keeps its init). */
    static int copyMatching(Block from, Block to) {
        Map<String, Parameter> source = Weights.named(from);
        int copied = 0;
        for (Map.Entry<String, Parameter> e : Weights.named(to).entrySet()) {
            Parameter s = source.get(e.getKey());
            NDArray target = e.getValue().getArray();
            if (s != null && s.getArray().getShape().equals(target.getShape())) {
                // Copied by native ops into the target's own (libtorch-allocated) memory. NDArray.set(...) and copyTo(...)
                // make the tensor use a Java direct buffer that only an NDArray object keeps alive: once the garbage
                // collector frees it, the weights are whatever the memory holds next (fine-tunes diverged in job
                // processes under GC pressure; reproduced in-process by forcing GC).
                target.muli(0).addi(s.getArray());
                copied++;
            }
        }
        return copied;
    }

    private static Path checkpoint(Path root, int epoch, ServingProperties props, Path tokenizer, Block block) throws IOException {
        return Checkpoints.write(root, epoch, tmp -> {
            ServingProperties djl = props.withFormat("djl", "weights.params");
            Weights.save(block, tmp.resolve(djl.weightsFile()));
            Artifacts.copy(tokenizer, tmp.resolve(djl.tokenizerFile()));
            djl.write(tmp);
        });
    }

    private static List<Integer> indices(List<String> labels, List<String> labelSet) {
        return labels.stream().map(labelSet::indexOf).toList();
    }

    private static int steps(int examples, int batch) {
        return (examples + batch - 1) / batch;
    }

    /** The documents' tokens, each followed by end-of-sequence, repeated until at least two windows long. */
    private static long[] stream(TextTokenizer tokenizer, List<String> documents, String eos, int window) {
        List<Long> ids = new ArrayList<>();
        long[] eosId = eos == null ? new long[0] : tokenizer.encode(eos);
        for (String d : documents) {
            for (long id : tokenizer.encode(d)) {
                ids.add(id);
            }
            for (long id : eosId) {
                ids.add(id);
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("the training data has no tokens");
        }
        List<Long> repeated = new ArrayList<>(ids);
        while (repeated.size() < 2 * window + 2) {
            repeated.addAll(ids);
        }
        return repeated.stream().mapToLong(Long::longValue).toArray();
    }

    /** Mean cross-entropy of the classifier on {@code samples} (inference mode); NaN without samples. */
    private static double validLoss(EncoderClassifier block, List<ClassifierTrainer.Sample> samples, long pad) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int from = 0; from < samples.size(); from += 64) {
                List<ClassifierTrainer.Sample> batch = samples.subList(from, Math.min(samples.size(), from + 64));
                try (NDManager sub = m.newSubManager()) {
                    float[] logits = block.forward(new ParameterStore(sub, false), ClassifierTrainer.inputs(sub, batch, pad), false)
                            .singletonOrThrow().toFloatArray();
                    int classes = logits.length / batch.size();
                    for (int i = 0; i < batch.size(); i++) {
                        sum += crossEntropy(logits, i * classes, classes, batch.get(i).label());
                    }
                }
            }
        }
        return sum / samples.size();
    }

    /** Mean next-token cross-entropy over consecutive windows of {@code tokens}; NaN when there are none. */
    private static double languageModelLoss(DecoderLm block, long[] tokens, int window) {
        if (tokens.length < window + 1) {
            return Double.NaN;
        }
        double sum = 0;
        long n = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int offset = 0; offset + window + 1 <= tokens.length && n < 50_000; offset += window) {
                try (NDManager sub = m.newSubManager()) {
                    long[] x = java.util.Arrays.copyOfRange(tokens, offset, offset + window);
                    float[] logits = block.forward(new ParameterStore(sub, false), new NDList(sub.create(x, new Shape(1, window))), false)
                            .singletonOrThrow().toFloatArray();
                    int vocab = logits.length / window;
                    for (int t = 0; t < window; t++) {
                        sum += crossEntropy(logits, t * vocab, vocab, (int) tokens[offset + t + 1]);
                        n++;
                    }
                }
            }
        }
        return sum / n;
    }

    private static double crossEntropy(float[] logits, int from, int count, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < count; c++) {
            max = Math.max(max, logits[from + c]);
        }
        double total = 0;
        for (int c = 0; c < count; c++) {
            total += Math.exp(logits[from + c] - max);
        }
        return Math.log(total) + max - logits[from + target];
    }
}
