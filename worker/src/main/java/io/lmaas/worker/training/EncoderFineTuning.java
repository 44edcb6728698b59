package io.lmaas.worker.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Optimizer;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.ClassifierCheckpoint;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.encoder.EncoderTokenizer;
import io.lmaas.worker.runtime.Encoded;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * Fine-tuning a Hugging Face encoder (BERT, RoBERTa, XLM-R, DistilBERT) as a sequence classifier, as Hugging Face's
 * Trainer does it: a classification head for the training file's labels (new unless the base already classifies into
 * exactly those), dropout on, AdamW (no decay on biases and LayerNorm weights), linear warm-up then linear decay,
 * gradients clipped to a global norm of 1, optionally the embeddings and lower layers frozen (or the whole encoder: the
 * head alone is trained). A Hugging Face checkpoint after every epoch ({@link ClassifierCheckpoint}); a run resumes
 * from the last one (weights; the optimiser's moments start afresh).
 */
public final class EncoderFineTuning {
    /** Freeze the whole encoder: only the head trains. */
    public static final int HEAD_ONLY = -1;
    /** The learning rate a multiplier of 1 means (Hugging Face's Trainer default). */
    public static final float BASE_LEARNING_RATE = 5e-5f;

    /** Options past OpenAI's: layers to freeze (0 none, {@link #HEAD_ONLY} all), warm-up share of the steps, weight decay. */
    public record Options(int freezeLayers, float warmupRatio, float weightDecay) {
        public static final Options DEFAULT = new Options(0, 0.1f, 0.01f);
    }

    private EncoderFineTuning() {
    }

    public static FineTuning.Outcome classifier(Path baseDir, Path resumeFrom, List<String> texts, List<String> labels,
            List<String> validTexts, List<String> validLabels, List<String> labelSet, FineTuning.Plan plan, Options options,
            Path checkpoints, BooleanSupplier cancelled, FineTuning.Listener listener) throws IOException {
        Path from = resumeFrom != null ? resumeFrom : baseDir;
        HfDirectory hf = HfDirectory.read(from);
        EncoderConfig config = EncoderConfig.parse(hf.config());
        Engine.getEngine("PyTorch").setRandomSeed((int) plan.seed());
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                EncoderTokenizer tokenizer = EncoderTokenizer.load(from, hf.maxTokens(config.maxTokens()), config.vocab())) {
            HfWeights weights = HfWeights.load(from, manager);
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, weights, manager);
            if (!encoder.labels().equals(labelSet)) {
                encoder.newHead(labelSet, weights);
            }
            weights.releaseUnused();
            List<Example> train = examples(tokenizer, texts, labels, labelSet);
            List<Example> valid = examples(tokenizer, validTexts, validLabels, labelSet);
            long tokens = train.stream().mapToLong(e -> e.input().length()).sum();
            int stepsPerEpoch = (train.size() + plan.batchSize() - 1) / plan.batchSize();
            int totalSteps = stepsPerEpoch * plan.epochs();
            Map<String, NDArray> trainable = trainable(encoder, options.freezeLayers());
            Optimizer decayed = adamW(plan, options, totalSteps, options.weightDecay());
            Optimizer plain = adamW(plan, options, totalSteps, 0f);
            trainable.values().forEach(a -> a.setRequiresGradient(true));
            int step = plan.startEpoch() * stepsPerEpoch;
            Path last = resumeFrom;
            List<Example> order = new ArrayList<>(train);
            for (int epoch = plan.startEpoch(); epoch < plan.epochs(); epoch++) {
                Collections.shuffle(order, new Random(plan.seed() + epoch));
                Trainers.EpochLoss loss = new Trainers.EpochLoss();
                for (int start = 0; start < order.size(); start += plan.batchSize()) {
                    if (cancelled.getAsBoolean()) {
                        return new FineTuning.Outcome(false, tokens * (epoch - plan.startEpoch()), step, last);
                    }
                    List<Example> batch = order.subList(start, Math.min(order.size(), start + plan.batchSize()));
                    float l = step(manager, encoder, batch, trainable, decayed, plain);
                    loss.add(l, epoch, step);
                    step++;
                    listener.step(epoch, step, l);
                }
                FineTuning.Metrics metrics = evaluate(manager, encoder, valid, loss.mean());
                last = checkpoint(checkpoints, epoch, encoder, hf, from);
                listener.epoch(epoch, step, metrics, last);
            }
            return new FineTuning.Outcome(true, tokens * (plan.epochs() - plan.startEpoch()), step, last);
        }
    }

    private record Example(Encoded input, int label) {
    }

    private static List<Example> examples(EncoderTokenizer tokenizer, List<String> texts, List<String> labels, List<String> labelSet) {
        List<Example> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).isEmpty()) {
                throw new IllegalArgumentException("example " + (i + 1) + " has an empty text");
            }
            out.add(new Example(tokenizer.encode(texts.get(i), true), labelSet.indexOf(labels.get(i))));
        }
        return out;
    }

    /** The tensors that train: the head always; the encoder above the frozen layers. */
    private static Map<String, NDArray> trainable(BertFamilyEncoder encoder, int freeze) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        encoder.parameters().forEach((name, array) -> {
            boolean frozen = !encoder.inHead(name) && (freeze == HEAD_ONLY || (freeze > 0 && encoder.below(name, freeze)));
            if (!frozen) {
                out.put(name, array);
            }
        });
        return out;
    }

    /** AdamW at the plan's rate: linear warm-up over the first share of the steps, then linear decay to zero. */
    private static Optimizer adamW(FineTuning.Plan plan, Options options, int totalSteps, float weightDecay) {
        int warmup = Math.round(options.warmupRatio() * totalSteps);
        float peak = plan.learningRate();
        ai.djl.training.tracker.Tracker schedule = update -> {
            // DJL counts updates from 1; the first update of a resumed run continues the schedule.
            int step = update - 1 + plan.startEpoch() * (totalSteps / Math.max(1, plan.epochs()));
            if (step < warmup) {
                return peak * (step + 1) / (warmup + 1);
            }
            return peak * Math.max(0f, (float) (totalSteps - step) / Math.max(1, totalSteps - warmup));
        };
        return AdamW.builder().optLearningRateTracker(schedule).optWeightDecays(weightDecay).optBeta1(0.9f).optBeta2(0.999f)
                .optEpsilon(1e-8f).build();
    }

    /** One optimisation step on a batch: forward with dropout, cross-entropy, backward, global-norm clipping, AdamW. */
    private static float step(NDManager manager, BertFamilyEncoder encoder, List<Example> batch, Map<String, NDArray> trainable,
            Optimizer decayed, Optimizer plain) {
        try (NDManager step = manager.newSubManager()) {
            long[][] ids = new long[batch.size()][];
            int[] targets = new int[batch.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = batch.get(i).input().ids();
                targets[i] = batch.get(i).label();
            }
            float value;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = encoder.logits(encoder.hiddenStates(step, ids, null, true), true);
                NDArray loss = logits.logSoftmax(-1).mul(step.create(targets).oneHot((int) logits.getShape().get(1))).sum(new int[] {1})
                        .neg().mean();
                value = loss.getFloat();
                if (!Float.isFinite(value)) {
                    return value; // no update from a bad batch
                }
                gc.backward(loss);
            }
            boolean applied = Gradients.clipAndApply(step, trainable, (name, weight, g) -> {
                boolean noDecay = name.endsWith(".bias") || name.contains("LayerNorm.") || name.contains("layer_norm.");
                (noDecay ? plain : decayed).update(name, weight, g);
            });
            // A finite loss with an overflowing gradient: no update from it, and nothing of it kept.
            return applied ? value : Float.NaN;
        }
    }

    /** Mean training loss (given), validation loss and accuracy in inference mode; NaN without validation examples. */
    private static FineTuning.Metrics evaluate(NDManager manager, BertFamilyEncoder encoder, List<Example> valid, double trainLoss) {
        if (valid.isEmpty()) {
            return new FineTuning.Metrics(trainLoss, Double.NaN, Double.NaN);
        }
        double loss = 0;
        int right = 0;
        for (int from = 0; from < valid.size(); from += 32) {
            List<Example> batch = valid.subList(from, Math.min(valid.size(), from + 32));
            try (NDManager sub = manager.newSubManager()) {
                long[][] ids = batch.stream().map(e -> e.input().ids()).toArray(long[][]::new);
                float[] logp = encoder.logits(encoder.hiddenStates(sub, ids, null, false), false).logSoftmax(-1).toFloatArray();
                int classes = logp.length / batch.size();
                for (int i = 0; i < batch.size(); i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        if (logp[i * classes + c] > logp[i * classes + best]) {
                            best = c;
                        }
                    }
                    right += best == batch.get(i).label() ? 1 : 0;
                    loss -= logp[i * classes + batch.get(i).label()];
                }
            }
        }
        return new FineTuning.Metrics(trainLoss, loss / valid.size(), (double) right / valid.size());
    }

    private static Path checkpoint(Path root, int epoch, BertFamilyEncoder encoder, HfDirectory hf, Path base) throws IOException {
        return Checkpoints.write(root, epoch, tmp -> ClassifierCheckpoint.write(encoder, hf.config(), base, tmp));
    }
}
