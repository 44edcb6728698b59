package io.lmaas.worker.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Optimizer;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.hf.decoder.LlamaFamilyDecoder;
import io.lmaas.worker.hf.lora.LoraAdapter;
import io.lmaas.worker.hf.lora.LoraTrainable;
import io.lmaas.worker.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * Fine-tuning a Hugging Face decoder (Llama, Qwen2, Mistral) into a LoRA adapter, as PEFT trains one: the base frozen,
 * the factors of the target projections trained on next-token prediction over each document (a prompt and its
 * completion, or a conversation rendered by the model's own chat template), AdamW with a constant rate, gradients
 * clipped to a global norm of 1. An adapter in PEFT's layout after every epoch; a run resumes from the last one
 * (factors; the optimiser's moments start afresh). Documents longer than {@link #MAX_TOKENS} tokens are cut.
 * Asked for (no LoRA options), it trains every weight instead — a full fine-tune, at {@link #FULL_LEARNING_RATE} — and
 * each epoch's checkpoint is a whole Hugging Face directory (float32 weights, the base's config, tokenizer and template),
 * a model of its own; a run resumes from the last one as its base.
 */
public final class DecoderFineTuning {
    /** The learning rate a multiplier of 1 means (PEFT's usual LoRA rate). */
    public static final float BASE_LEARNING_RATE = 2e-4f;
    /** The learning rate a multiplier of 1 means for a full fine-tune (every weight moves: ten times smaller). */
    public static final float FULL_LEARNING_RATE = 2e-5f;
    static final int MAX_TOKENS = 512;

    private DecoderFineTuning() {
    }

    public static FineTuning.Outcome languageModel(Path baseDir, Path resumeFrom, String baseName, List<String> documents,
            List<String> validDocuments, FineTuning.Plan plan, LoraTrainable.Options options, Path checkpoints,
            BooleanSupplier cancelled, FineTuning.Listener listener) throws IOException {
        boolean full = options == null;
        Path weightsFrom = full && resumeFrom != null ? resumeFrom : baseDir;
        HfDirectory hf = HfDirectory.read(baseDir);
        DecoderConfig config = DecoderConfig.parse(hf.config());
        Engine.getEngine("PyTorch").setRandomSeed((int) plan.seed());
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                TextTokenizer tokenizer = TextTokenizer.load(baseDir.resolve("tokenizer.json"))) {
            int positions = Math.min(config.maxPositions(), MAX_TOKENS);
            HfWeights weights = HfWeights.load(weightsFrom, manager);
            LlamaFamilyDecoder decoder = new LlamaFamilyDecoder(config, weights, manager, positions, 1);
            weights.releaseUnused();
            LoraTrainable lora = full ? null : resumeFrom == null ? LoraTrainable.init(config, options, manager, plan.seed())
                    : LoraTrainable.of(LoraAdapter.load(resumeFrom, config), config, options, manager);
            List<long[]> train = tokenize(tokenizer, documents, positions);
            List<long[]> valid = tokenize(tokenizer, validDocuments, positions);
            long tokens = train.stream().mapToLong(d -> d.length).sum();
            Map<String, NDArray> parameters = full ? decoder.weights() : lora.parameters();
            if (full) {
                parameters.values().forEach(w -> w.setRequiresGradient(true));
            }
            Optimizer adamW = AdamW.builder().optLearningRateTracker(ai.djl.training.tracker.Tracker.fixed(plan.learningRate()))
                    .optWeightDecays(0f).build();
            int stepsPerEpoch = (train.size() + plan.batchSize() - 1) / plan.batchSize();
            int step = plan.startEpoch() * stepsPerEpoch;
            Path last = resumeFrom;
            List<long[]> order = new ArrayList<>(train);
            for (int epoch = plan.startEpoch(); epoch < plan.epochs(); epoch++) {
                Collections.shuffle(order, new Random(plan.seed() + epoch));
                Trainers.EpochLoss loss = new Trainers.EpochLoss();
                for (int start = 0; start < order.size(); start += plan.batchSize()) {
                    if (cancelled.getAsBoolean()) {
                        return new FineTuning.Outcome(false, tokens * (epoch - plan.startEpoch()), step, last);
                    }
                    float l = step(manager, decoder, lora, order.subList(start, Math.min(order.size(), start + plan.batchSize())),
                            parameters, adamW);
                    loss.add(l, epoch, step);
                    step++;
                    listener.step(epoch, step, l);
                }
                double validLoss = valid.isEmpty() ? Double.NaN : validationLoss(manager, decoder, lora, valid, plan.batchSize());
                Path dir = Checkpoints.write(checkpoints, epoch, tmp -> {
                    if (full) {
                        saveModel(baseDir, decoder, tmp);
                    } else {
                        lora.save(tmp, baseName);
                    }
                });
                last = dir;
                listener.epoch(epoch, step, new FineTuning.Metrics(loss.mean(), validLoss, Double.NaN), last);
            }
            return new FineTuning.Outcome(true, tokens * (plan.epochs() - plan.startEpoch()), step, last);
        }
    }

    /** A whole checkpoint: the base's files but its weights, then every weight under its Hugging Face name in float32. */
    private static void saveModel(Path baseDir, LlamaFamilyDecoder decoder, Path dir) throws IOException {
        HfDirectory.copyAllButWeights(baseDir, dir);
        io.lmaas.worker.hf.SafetensorsWriter.write(dir.resolve("model.safetensors"), decoder.checkpoint(), Map.of("format", "pt"));
    }

    static List<long[]> tokenize(TextTokenizer tokenizer, List<String> documents, int max) {
        List<long[]> out = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            long[] ids = tokenizer.encode(documents.get(i));
            if (ids.length < 2) {
                throw new IllegalArgumentException("example " + (i + 1) + " has fewer than two tokens: nothing to learn from");
            }
            out.add(ids.length > max ? Arrays.copyOf(ids, max) : ids);
        }
        return out;
    }

    /** The batch as model inputs: ids, positions, a causal-and-padding mask, next-token targets and their weights. */
    record Batch(NDArray ids, NDArray positions, NDArray mask, NDArray targets, NDArray weights) {
        static Batch of(NDManager m, List<long[]> docs) {
            int b = docs.size();
            int t = docs.stream().mapToInt(d -> d.length).max().orElse(2);
            long[] ids = new long[b * t];
            long[] at = new long[b * t];
            long[] next = new long[b * t];
            float[] weight = new float[b * t];
            float[] mask = new float[b * t * t];
            for (int r = 0; r < b; r++) {
                long[] d = docs.get(r);
                for (int i = 0; i < t; i++) {
                    ids[r * t + i] = i < d.length ? d[i] : 0;
                    at[r * t + i] = i;
                    next[r * t + i] = i + 1 < d.length ? d[i + 1] : 0;
                    weight[r * t + i] = i + 1 < d.length ? 1f : 0f;
                    for (int k = 0; k < t; k++) {
                        mask[(r * t + i) * t + k] = k > i || k >= d.length ? -1e9f : 0f;
                    }
                }
            }
            return new Batch(m.create(ids, new Shape(b, t)), m.create(at, new Shape(b, t)), m.create(mask, new Shape(b, 1, t, t)),
                    m.create(next, new Shape(b, t, 1)), m.create(weight, new Shape(b, t)));
        }

        /** Mean negative log-likelihood of the next tokens (padding and last positions weigh nothing). */
        NDArray loss(NDArray logits) {
            NDArray picked = logits.logSoftmax(-1).gather(targets, 2).squeeze(2);
            return picked.mul(weights).sum().neg().div(weights.sum());
        }
    }

    private static float step(NDManager manager, LlamaFamilyDecoder decoder, LoraTrainable lora, List<long[]> docs,
            Map<String, NDArray> parameters, Optimizer adamW) {
        try (NDManager m = manager.newSubManager()) {
            Batch batch = Batch.of(m, docs);
            float value;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = batch.loss(decoder.logitsForTraining(m, batch.ids(), batch.positions(), batch.mask(),
                        lora == null ? null : lora.deltas(true)));
                value = loss.getFloat();
                if (!Float.isFinite(value)) {
                    return value; // no update from a bad batch
                }
                gc.backward(loss);
            }
            return Gradients.clipAndApply(m, parameters, adamW::update) ? value : Float.NaN;
        }
    }

    private static double validationLoss(NDManager manager, LlamaFamilyDecoder decoder, LoraTrainable lora, List<long[]> docs,
            int batchSize) {
        double sum = 0;
        int batches = 0;
        for (int start = 0; start < docs.size(); start += batchSize) {
            try (NDManager m = manager.newSubManager()) {
                Batch batch = Batch.of(m, docs.subList(start, Math.min(docs.size(), start + batchSize)));
                sum += batch.loss(decoder.logitsForTraining(m, batch.ids(), batch.positions(), batch.mask(),
                        lora == null ? null : lora.deltas(false)))
                        .getFloat();
                batches++;
            }
        }
        return sum / batches;
    }
}
