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
import io.lmaas.worker.hf.SafetensorsReader;
import io.lmaas.worker.hf.lora.EncoderLoraAdapter;
import io.lmaas.worker.hf.lora.LoraTrainable;
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
 * from the last one (weights; the optimiser's moments start afresh). With LoRA options the encoder stays frozen: low-rank
 * factors on the targeted projections and the head train, and each epoch's checkpoint is a PEFT adapter
 * ({@code SEQ_CLS}: the factors, the head saved whole, its labels in a {@code config.json} beside them).
 */
public final class EncoderFineTuning {
    /** Freeze the whole encoder: only the head trains. */
    public static final int HEAD_ONLY = -1;
    /** The learning rate a multiplier of 1 means (Hugging Face's Trainer default). */
    public static final float BASE_LEARNING_RATE = 5e-5f;
    /** The learning rate a multiplier of 1 means for a LoRA adapter (few weights move: ten times larger). */
    public static final float LORA_LEARNING_RATE = 5e-4f;

    /** Options past OpenAI's: layers to freeze (0 none, {@link #HEAD_ONLY} all), warm-up share of the steps, weight decay. */
    public record Options(int freezeLayers, float warmupRatio, float weightDecay) {
        public static final Options DEFAULT = new Options(0, 0.1f, 0.01f);
    }

    private EncoderFineTuning() {
    }

    /** A full fine-tune ({@code lora} null) or a LoRA adapter's. */
    public static FineTuning.Outcome classifier(Path baseDir, Path resumeFrom, List<String> texts, List<String> labels,
            List<String> validTexts, List<String> validLabels, List<String> labelSet, FineTuning.Plan plan, Options options,
            Path checkpoints, BooleanSupplier cancelled, FineTuning.Listener listener) throws IOException {
        return classifier(baseDir, resumeFrom, texts, labels, validTexts, validLabels, labelSet, plan, options, null, null, checkpoints,
                cancelled, listener);
    }

    public static FineTuning.Outcome classifier(Path baseDir, Path resumeFrom, List<String> texts, List<String> labels,
            List<String> validTexts, List<String> validLabels, List<String> labelSet, FineTuning.Plan plan, Options options,
            LoraTrainable.Options lora, String baseName, Path checkpoints, BooleanSupplier cancelled, FineTuning.Listener listener)
            throws IOException {
        Path from = resumeFrom != null && lora == null ? resumeFrom : baseDir;
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
            LoraTrainable adapter = lora == null ? null : adapter(encoder, config, lora, resumeFrom, manager, plan.seed());
            List<Example> train = examples(tokenizer, texts, labels, labelSet);
            List<Example> valid = examples(tokenizer, validTexts, validLabels, labelSet);
            long tokens = train.stream().mapToLong(e -> e.input().length()).sum();
            int stepsPerEpoch = (train.size() + plan.batchSize() - 1) / plan.batchSize();
            int totalSteps = stepsPerEpoch * plan.epochs();
            Map<String, NDArray> trainable = adapter == null ? trainable(encoder, options.freezeLayers()) : adapterTrainable(encoder, adapter);
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
                    float l = step(manager, encoder, adapter, batch, trainable, decayed, plain);
                    loss.add(l, epoch, step);
                    step++;
                    listener.step(epoch, step, l);
                }
                FineTuning.Metrics metrics = evaluate(manager, encoder, adapter, valid, loss.mean());
                last = adapter == null ? checkpoint(checkpoints, epoch, encoder, hf, from)
                        : Checkpoints.write(checkpoints, epoch, tmp -> saveAdapter(encoder, adapter, baseName, tmp));
                listener.epoch(epoch, step, metrics, last);
            }
            return new FineTuning.Outcome(true, tokens * (plan.epochs() - plan.startEpoch()), step, last);
        }
    }

    private record Example(Encoded input, int label) {
    }

    /** Fresh LoRA factors, or a saved adapter's factors and head (resuming). */
    private static LoraTrainable adapter(BertFamilyEncoder encoder, EncoderConfig config, LoraTrainable.Options lora, Path resumeFrom,
            NDManager manager, long seed) {
        if (resumeFrom == null) {
            return LoraTrainable.init(config, lora, manager, seed);
        }
        EncoderLoraAdapter saved = EncoderLoraAdapter.load(resumeFrom, config);
        encoder.parameters().forEach((name, array) -> {
            SafetensorsReader.Tensor t = encoder.inHead(name) ? saved.head().get(encoder.classifierName(name)) : null;
            if (t != null) {
                array.set(t.values());
            }
        });
        return LoraTrainable.of(saved, config, lora, manager);
    }

    /** What trains with LoRA: the factors and the head; the encoder stays as it is. */
    private static Map<String, NDArray> adapterTrainable(BertFamilyEncoder encoder, LoraTrainable adapter) {
        Map<String, NDArray> out = new LinkedHashMap<>(adapter.parameters());
        encoder.parameters().forEach((name, array) -> {
            if (encoder.inHead(name)) {
                out.put(name, array);
            }
        });
        return out;
    }

    /** A PEFT adapter: the factors, the head saved whole under its classifier names, and the labels in config.json. */
    private static void saveAdapter(BertFamilyEncoder encoder, LoraTrainable adapter, String baseName, Path dir) throws IOException {
        Map<String, NDArray> head = new LinkedHashMap<>();
        encoder.parameters().forEach((name, array) -> {
            if (encoder.inHead(name)) {
                head.put(encoder.classifierName(name), array);
            }
        });
        List<String> modules = switch (encoder.config().family()) {
            case BERT -> List.of("classifier", "pooler");
            case ROBERTA, XLM_ROBERTA -> List.of("classifier");
            case DISTILBERT -> List.of("pre_classifier", "classifier");
        };
        adapter.save(dir, baseName, head, modules);
        io.lmaas.core.crypto.Artifacts.writeString(dir.resolve("config.json"),
                ClassifierCheckpoint.labelled(new io.vertx.core.json.JsonObject(), encoder.labels()).encodePrettily());
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
    private static float step(NDManager manager, BertFamilyEncoder encoder, LoraTrainable adapter, List<Example> batch,
            Map<String, NDArray> trainable, Optimizer decayed, Optimizer plain) {
        try (NDManager step = manager.newSubManager()) {
            long[][] ids = new long[batch.size()][];
            int[] targets = new int[batch.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = batch.get(i).input().ids();
                targets[i] = batch.get(i).label();
            }
            float value;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = encoder.logits(encoder.hiddenStates(step, ids, null, null, true,
                        adapter == null ? null : adapter.encoderDeltas(true)), true);
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
    private static FineTuning.Metrics evaluate(NDManager manager, BertFamilyEncoder encoder, LoraTrainable adapter, List<Example> valid,
            double trainLoss) {
        if (valid.isEmpty()) {
            return new FineTuning.Metrics(trainLoss, Double.NaN, Double.NaN);
        }
        double loss = 0;
        int right = 0;
        for (int from = 0; from < valid.size(); from += 32) {
            List<Example> batch = valid.subList(from, Math.min(valid.size(), from + 32));
            try (NDManager sub = manager.newSubManager()) {
                long[][] ids = batch.stream().map(e -> e.input().ids()).toArray(long[][]::new);
                float[] logp = encoder.logits(encoder.hiddenStates(sub, ids, null, null, false,
                        adapter == null ? null : adapter.encoderDeltas(false)), false).logSoftmax(-1).toFloatArray();
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
