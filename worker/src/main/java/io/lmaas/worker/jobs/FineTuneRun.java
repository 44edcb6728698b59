package io.lmaas.worker.jobs;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.files.FileRecord;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.files.JsonlValidator;
import io.lmaas.core.jobs.FineTunedNames;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.chat.JinjaChatTemplate;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.lora.LoraTrainable;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.training.EncoderFineTuning;
import io.lmaas.worker.training.FineTuning;
import io.lmaas.worker.training.DecoderFineTuning;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One attempt of a fine-tuning job: checks the training file again, reads the examples, resumes from the
 * job's last checkpoint if it has one, trains epoch by epoch (metrics and checkpoints into PostgreSQL as it
 * goes), and on success registers the result as a new model version private to the tenant,
 * {@code ft:<base>:<tenant>:<suffix>:<job>}. Returns what the attempt achieved; failures are thrown as
 * {@link JobFailure} with a code and a message a tenant can act on.
 */
final class FineTuneRun {
    /** A job failure a tenant should read (bad file, untrainable base): recorded, not retried. */
    static final class JobFailure extends RuntimeException {
        final String code;

        JobFailure(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** What an attempt did: completed or not (cancelled), tokens trained on, the registered model (or null). */
    record Result(boolean completed, long trainedTokens, String fineTunedModel) {
    }

    private final JobRecord job;
    private final JobRepository jobs;
    private final FileRepository files;
    private final ModelCatalogRepository catalog;
    private final ArtifactStore store;

    FineTuneRun(JobRecord job, JobRepository jobs, FileRepository files, ModelCatalogRepository catalog, ArtifactStore store) {
        this.job = job;
        this.jobs = jobs;
        this.files = files;
        this.catalog = catalog;
        this.store = store;
    }

    Result run(BooleanSupplier cancelled) throws IOException {
        JsonObject spec = job.spec();
        JsonObject hp = spec.getJsonObject("hyperparameters", new JsonObject());
        Path base = ArtifactStore.path(spec.getString("base_artifact_uri"));
        boolean huggingFace = HfDirectory.is(base);
        boolean decoder = false;
        EncoderConfig encoder = null;
        ServingProperties baseProps = null;
        try {
            if (huggingFace) {
                JsonObject config = HfDirectory.read(base).config();
                decoder = DecoderConfig.isCausalLm(config);
                if (decoder) {
                    DecoderConfig.parse(config); // a Llama-family decoder this worker trains adapters for, or a clear refusal
                } else {
                    encoder = EncoderConfig.parse(config); // an encoder this worker can train, or a clear refusal
                }
            } else {
                baseProps = ServingProperties.read(base);
            }
        } catch (RuntimeException e) {
            throw new JobFailure("invalid_base_model", "the base model cannot be read: " + e.getMessage());
        }
        // A Hugging Face encoder (a classifier or a bare sentence encoder) is fine-tuned into a classifier; a Hugging Face
        // decoder into a LoRA adapter.
        boolean classification = huggingFace ? !decoder : ServingProperties.CLASSIFICATION.equals(baseProps.task());
        List<JsonObject> training = examples(spec.getString("training_file"), "training_file");
        List<JsonObject> validation = spec.getString("validation_file") == null ? List.of()
                : examples(spec.getString("validation_file"), "validation_file");
        if (validation.isEmpty() && training.size() >= 20) {
            // No validation file: hold out a tenth (seeded) to measure on.
            List<JsonObject> shuffled = new ArrayList<>(training);
            java.util.Collections.shuffle(shuffled, new Random(spec.getLong("seed", 42L)));
            int held = Math.max(1, shuffled.size() / 10);
            validation = shuffled.subList(0, held);
            training = shuffled.subList(held, shuffled.size());
        }

        Path checkpoints = store.job(job.id()).resolve("checkpoints");
        List<JobRepository.Checkpoint> done = await(jobs.checkpoints(job.id()));
        JobRepository.Checkpoint last = done.stream().max(Comparator.comparingInt(JobRepository.Checkpoint::epoch)).orElse(null);
        Path resumeFrom = last == null ? null : ArtifactStore.path(last.artifactUri());
        if (resumeFrom != null && !Files.isDirectory(resumeFrom)) {
            resumeFrom = null;
            last = null;
        }
        int epochs = hp.getInteger("n_epochs", 3);
        int startEpoch = last == null ? 0 : last.epoch();
        if (last != null) {
            await(jobs.note(job.id(), "info", "resumed", "resuming from the checkpoint after epoch " + last.epoch()
                    + " (step " + last.step() + ")", new JsonObject().put("epoch", last.epoch()).put("step", last.step())));
        }
        // A Hugging Face decoder or encoder trains a LoRA adapter unless the request asked for a full fine-tune ("lora": false).
        boolean adapter = huggingFace && hp.getBoolean("lora", true);
        float lr = (float) ((decoder ? (adapter ? DecoderFineTuning.BASE_LEARNING_RATE : DecoderFineTuning.FULL_LEARNING_RATE)
                : huggingFace ? (adapter ? EncoderFineTuning.LORA_LEARNING_RATE : EncoderFineTuning.BASE_LEARNING_RATE)
                : FineTuning.baseLearningRate(baseProps))
                * hp.getDouble("learning_rate_multiplier", 1.0));
        FineTuning.Plan plan = new FineTuning.Plan(startEpoch, epochs, hp.getInteger("batch_size", 16), lr, spec.getLong("seed", 42L));
        Progress progress = new Progress(epochs, training.size(), plan.batchSize());

        FineTuning.Outcome outcome;
        try {
            if (classification) {
                List<String> labelSet = new ArrayList<>(new TreeSet<>(training.stream().map(o -> o.getString("label")).toList()));
                List<JsonObject> known = validation.stream().filter(o -> labelSet.contains(o.getString("label"))).toList();
                if (known.size() < validation.size()) {
                    await(jobs.note(job.id(), "warn", "message", (validation.size() - known.size())
                            + " validation example(s) have labels the training file does not: left out of the metrics", null));
                }
                outcome = huggingFace
                        ? EncoderFineTuning.classifier(base, resumeFrom, field(training, "text"), field(training, "label"),
                                field(known, "text"), field(known, "label"), labelSet, plan, encoderOptions(hp),
                                adapter ? loraOptions(hp, LoraTrainable.encoderDefaultTargets(encoder)) : null, spec.getString("model"),
                                checkpoints, cancelled, progress)
                        : FineTuning.classifier(base, resumeFrom, field(training, "text"), field(training, "label"), field(known, "text"),
                                field(known, "label"), labelSet, plan, checkpoints, cancelled, progress);
            } else if (decoder) {
                ChatTemplate template = JinjaChatTemplate.fromDirectory(base).orElse(null);
                outcome = DecoderFineTuning.languageModel(base, resumeFrom, spec.getString("model"), documents(training, template),
                        documents(validation, template), plan, adapter ? loraOptions(hp, LoraTrainable.Options.DEFAULT.targets()) : null, checkpoints,
                        cancelled, progress);
            } else {
                ChatTemplate template = baseProps.chatTemplate().orElse(null);
                outcome = FineTuning.languageModel(base, resumeFrom, documents(training, template), documents(validation, template),
                        plan, checkpoints, cancelled, progress);
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new JobFailure("training_failed", e.getMessage());
        }
        if (!outcome.completed()) {
            return new Result(false, outcome.trainedTokens(), null);
        }
        String name = FineTunedNames.name(job);
        Path target = store.modelVersion(name, "1");
        copyDirectory(outcome.lastCheckpoint(), target);
        ModelTask task = classification ? ModelTask.TEXT_CLASSIFICATION : ModelTask.TEXT_GENERATION;
        // A LoRA adapter of its base is served by the base's replicas, no deployment needed; a full fine-tune is a model of its own.
        await(catalog.register(new ModelRecord(name, task, job.tenantId(), (adapter ? "LoRA adapter of " : "fine-tuned from ")
                + spec.getString("model") + " by " + job.id(), null, adapter ? spec.getString("model") : null), "1",
                ArtifactStore.uri(target), io.lmaas.core.catalog.ModelInfo.of(target)));
        return new Result(true, outcome.trainedTokens(), name);
    }

    /**
     * LMaaS's LoRA hyperparameters (checked by the gateway): rank, alpha, dropout, target projections ({@code "auto"} or
     * absent: {@code auto}, the base kind's default).
     */
    private static LoraTrainable.Options loraOptions(JsonObject hp, List<String> auto) {
        LoraTrainable.Options d = LoraTrainable.Options.DEFAULT;
        Object targets = hp.getValue("lora_target_modules");
        List<String> modules = targets instanceof JsonArray list ? list.stream().map(String::valueOf).toList() : auto;
        try {
            return new LoraTrainable.Options(hp.getInteger("lora_rank", d.rank()), hp.getNumber("lora_alpha", d.alpha()).floatValue(),
                    hp.getNumber("lora_dropout", d.dropout()).floatValue(), modules);
        } catch (IllegalArgumentException e) {
            throw new JobFailure("invalid_hyperparameters", e.getMessage());
        }
    }

    /** LMaaS's hyperparameters for Hugging Face encoders (checked by the gateway): frozen layers, warm-up, weight decay. */
    private static EncoderFineTuning.Options encoderOptions(JsonObject hp) {
        Object freeze = hp.getValue("freeze_layers", 0);
        return new EncoderFineTuning.Options("all".equals(freeze) ? EncoderFineTuning.HEAD_ONLY : ((Number) freeze).intValue(),
                hp.getNumber("warmup_ratio", EncoderFineTuning.Options.DEFAULT.warmupRatio()).floatValue(),
                hp.getNumber("weight_decay", EncoderFineTuning.Options.DEFAULT.weightDecay()).floatValue());
    }

    /** Reports steps (a metrics event every fifth of an epoch) and epochs (checkpoint and metrics) into PostgreSQL. */
    private final class Progress implements FineTuning.Listener {
        private final int epochs;
        private final int stepsPerEpoch;
        private final long started = System.nanoTime();
        private int firstStep = -1;
        private double window;
        private int inWindow;

        Progress(int epochs, int examples, int batch) {
            this.epochs = epochs;
            this.stepsPerEpoch = Math.max(1, (examples + batch - 1) / batch);
        }

        @Override
        public void step(int epoch, int step, double loss) {
            if (firstStep < 0) {
                firstStep = step - 1;
            }
            if (Double.isFinite(loss)) {
                window += loss;
                inWindow++;
            }
            int every = Math.max(1, stepsPerEpoch / 5);
            if (step % every == 0 && inWindow > 0) {
                double mean = window / inWindow;
                window = 0;
                inWindow = 0;
                long elapsed = System.nanoTime() - started;
                int doneSteps = step - firstStep;
                long remaining = (long) epochs * stepsPerEpoch - step;
                long finishAt = Instant.now().getEpochSecond() + (doneSteps == 0 ? 0 : TimeUnit.NANOSECONDS.toSeconds(elapsed / doneSteps * remaining));
                jobs.note(job.id(), "info", "metrics", String.format("step %d: train loss %.4f", step, mean),
                        new JsonObject().put("step", step).put("train_loss", mean));
                jobs.progress(job.id(), new JsonObject().put("estimated_finish", finishAt).put("step", step)
                        .put("total_steps", (long) epochs * stepsPerEpoch));
            }
        }

        @Override
        public void epoch(int epoch, int step, FineTuning.Metrics m, Path checkpoint) {
            JsonObject metrics = new JsonObject().put("step", step).put("epoch", epoch + 1).put("train_loss", m.trainLoss());
            if (!Double.isNaN(m.validLoss())) {
                metrics.put("valid_loss", m.validLoss());
            }
            if (!Double.isNaN(m.accuracy())) {
                metrics.put("accuracy", m.accuracy());
            }
            await(jobs.checkpoint(job.id(), epoch + 1, step, ArtifactStore.uri(checkpoint), metrics));
            await(jobs.progress(job.id(), new JsonObject().put("step", step).put("total_steps", (long) epochs * stepsPerEpoch)));
            await(jobs.note(job.id(), "info", "metrics", String.format("epoch %d: train loss %.4f%s%s", epoch + 1, m.trainLoss(),
                    Double.isNaN(m.validLoss()) ? "" : String.format(", valid loss %.4f", m.validLoss()),
                    Double.isNaN(m.accuracy()) ? "" : String.format(", accuracy %.3f", m.accuracy())), metrics));
        }
    }

    /** The file's examples, after checking it again (it may have changed or been deleted since upload). */
    private List<JsonObject> examples(String fileId, String param) throws IOException {
        FileRecord f = await(files.find(job.tenantId(), fileId));
        if (f == null) {
            throw new JobFailure("invalid_" + param, "the " + param.replace('_', ' ') + " " + fileId + " no longer exists");
        }
        Path path = ArtifactStore.path(f.artifactUri());
        try (BufferedReader in = Artifacts.newBufferedReader(path)) {
            JsonlValidator.Result r = JsonlValidator.validate(in, "fine-tune");
            if (!r.valid()) {
                throw new JobFailure("invalid_" + param, "the " + param.replace('_', ' ') + " " + fileId + " is not valid: " + r.summary());
            }
        }
        List<JsonObject> out = new ArrayList<>();
        try (BufferedReader in = Artifacts.newBufferedReader(path)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    out.add(new JsonObject(line));
                }
            }
        }
        return out;
    }

    private static List<String> field(List<JsonObject> examples, String name) {
        return examples.stream().map(o -> o.getString(name)).toList();
    }

    /** Generation examples as text: prompt then completion, or the chat rendered with the base model's template. */
    private static List<String> documents(List<JsonObject> examples, ChatTemplate template) {
        List<String> out = new ArrayList<>();
        for (JsonObject o : examples) {
            if (o.containsKey("messages")) {
                List<ChatTemplate.Message> messages = new ArrayList<>();
                StringBuilder plain = new StringBuilder();
                for (Object m : o.getJsonArray("messages", new JsonArray())) {
                    JsonObject msg = (JsonObject) m;
                    messages.add(new ChatTemplate.Message(msg.getString("role"), msg.getString("content")));
                    plain.append(msg.getString("content")).append('\n');
                }
                out.add(template == null ? plain.toString() : template.renderConversation(messages));
            } else {
                out.add(o.getString("prompt", "") + o.getString("completion", ""));
            }
        }
        return out;
    }

    private static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Artifacts.copy(f, to.resolve(f.getFileName().toString()));
            }
        }
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("PostgreSQL: " + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
        }
    }
}
