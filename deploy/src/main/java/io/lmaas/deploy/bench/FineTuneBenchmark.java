package io.lmaas.deploy.bench;

import io.lmaas.worker.starter.SyntheticTopics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code lmaas bench finetune}: fine-tuning and batch figures through the public API of a real
 * {@code lmaas up} process (local backend: each job runs as a worker process).
 * <ol>
 *   <li>Classification: the starter classifier fine-tuned on labels it never saw (cooking, music, travel):
 *       time from {@code POST /v1/fine_tuning/jobs} to running and to the first checkpoint, training
 *       throughput, then the model deployed with one call and the held-out accuracy after and before
 *       (the base model).
 *   <li>Generation: the starter generator fine-tuned on prompt/completion pairs ("&lt;sentence&gt; topic:" →
 *       " &lt;label&gt;"): the same timings, and how often a greedy completion names the right topic after
 *       and before.
 *   <li>Batch: 1,000 classifications as one batch, submit to completed, against the same inputs sent
 *       online one request at a time.
 * </ol>
 */
public final class FineTuneBenchmark {
    private static final String TOPIC_PROMPT = " topic:";

    private FineTuneBenchmark() {
    }

    public static void run(int examples, int epochs) throws Exception {
        Path dataDir = ScratchDirs.create("lmaas-bench-ft-").resolve("data"); // the up log beside it, in the scratch directory too
        UpProcess up = UpProcess.start(dataDir);
        try {
            System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, java %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
            List<SyntheticTopics.Example> heldOut = SyntheticTopics.novelExamples(300, 2026);

            String clsFile = up.upload("fine-tune", "topics.jsonl", lines(SyntheticTopics.novelExamples(examples, 11), false))
                    .getString("id");
            Timeline cls = train(up, new JsonObject().put("model", "starter-classifier").put("training_file", clsFile)
                    .put("seed", 7).put("hyperparameters", new JsonObject().put("n_epochs", epochs).put("batch_size", 16)), examples, epochs);
            deploy(up, cls.model, new JsonObject().put("model", cls.model).put("input", "x"), "/v1/classifications");
            double clsAfter = classificationAccuracy(up, cls.model, heldOut);
            double clsBefore = classificationAccuracy(up, "starter-classifier", heldOut);

            int genExamples = Math.max(20, examples / 3);
            String genFile = up.upload("fine-tune", "topic-names.jsonl", lines(SyntheticTopics.novelExamples(genExamples, 12), true))
                    .getString("id");
            Timeline gen = train(up, new JsonObject().put("model", "starter-generator").put("training_file", genFile)
                    .put("seed", 7).put("hyperparameters", new JsonObject().put("n_epochs", epochs).put("batch_size", 8)), genExamples,
                    epochs);
            deploy(up, gen.model, new JsonObject().put("model", gen.model).put("prompt", "x").put("max_tokens", 1), "/v1/completions");
            List<SyntheticTopics.Example> genHeldOut = heldOut.subList(0, 100);
            double genAfter = namingAccuracy(up, gen.model, genHeldOut);
            double genBefore = namingAccuracy(up, "starter-generator", genHeldOut);

            Batch batch = batch(up, SyntheticTopics.examples(1000, 4242));

            System.out.println();
            System.out.println("| measure | classification | generation |");
            System.out.println("|---|---|---|");
            row("training examples × epochs", (cls.samples) + " × " + epochs, gen.samples + " × " + epochs);
            row("create → running", seconds(cls.running), seconds(gen.running));
            row("create → first checkpoint", seconds(cls.firstCheckpoint), seconds(gen.firstCheckpoint));
            row("create → succeeded (model registered)", seconds(cls.done), seconds(gen.done));
            row("training throughput, steady (epochs 2..n)", rate(cls.steady()), rate(gen.steady()));
            row("training throughput, whole run (running → succeeded)", rate(cls.overall()), rate(gen.overall()));
            row("trained tokens", Long.toString(cls.trainedTokens), Long.toString(gen.trainedTokens));
            row("held-out accuracy after fine-tuning", String.format(Locale.ROOT, "%.3f", clsAfter),
                    String.format(Locale.ROOT, "%.3f (topic named)", genAfter));
            row("held-out accuracy of the base model", String.format(Locale.ROOT, "%.3f", clsBefore),
                    String.format(Locale.ROOT, "%.3f (topic named)", genBefore));
            System.out.println();
            System.out.println("| batch of 1,000 classifications | value |");
            System.out.println("|---|---|");
            System.out.println("| submit → completed (polled every 100 ms) | " + seconds(batch.batchNanos) + " |");
            System.out.println("| same inputs online, one request at a time | " + seconds(batch.onlineNanos) + " |");
            System.out.printf(Locale.ROOT, "| online / batch | %.2f× |%n", (double) batch.onlineNanos / batch.batchNanos);
            System.out.println("| labels equal to the online answers | " + batch.equal + " / 1000 |");
        } finally {
            up.stop();
        }
    }

    /** Times (ns from creation) of a fine-tuning job's milestones, polled every 100 ms. */
    private record Timeline(String model, int samples, int epochs, long running, long firstCheckpoint, long lastCheckpoint, long done,
            long trainedTokens) {
        double steady() {
            return epochs < 2 ? Double.NaN : (double) samples * (epochs - 1) / ((lastCheckpoint - firstCheckpoint) / 1e9);
        }

        double overall() {
            return (double) samples * epochs / ((done - running) / 1e9);
        }
    }

    private static Timeline train(UpProcess up, JsonObject request, int examples, int epochs) throws Exception {
        long t0 = System.nanoTime();
        String id = up.call("/v1/fine_tuning/jobs", request).getString("id");
        long running = 0;
        long first = 0;
        long last = 0;
        long deadline = t0 + Duration.ofMinutes(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject job = up.call("/v1/fine_tuning/jobs/" + id, null);
            long now = System.nanoTime() - t0;
            String status = job.getString("status");
            if (running == 0 && !List.of("validating_files", "queued").contains(status)) {
                running = now;
            }
            int checkpoints = up.call("/v1/fine_tuning/jobs/" + id + "/checkpoints", null).getJsonArray("data").size();
            if (first == 0 && checkpoints >= 1) {
                first = now;
            }
            if (checkpoints == epochs && last == 0) {
                last = now;
            }
            if ("succeeded".equals(status)) {
                // Training holds out a tenth of the file for validation when no validation file is given.
                int trained = examples >= 20 ? examples - Math.max(1, examples / 10) : examples;
                return new Timeline(job.getString("fine_tuned_model"), trained, epochs, running, first, last == 0 ? now : last, now,
                        job.getLong("trained_tokens", 0L));
            }
            if (List.of("failed", "cancelled").contains(status)) {
                throw new IllegalStateException("fine-tuning job " + id + " " + status + ": " + job.encode());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("fine-tuning job " + id + " did not finish within 30 minutes");
    }

    private static void deploy(UpProcess up, String model, JsonObject probe, String endpoint) throws Exception {
        up.call("/admin/v1/deployments", up.adminToken(), new JsonObject().put("model", model).put("version", "1").put("replicas", 1));
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (UpProcess.send(up.url() + endpoint, up.key(), probe).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(model + " not served within 3 minutes");
            }
            Thread.sleep(200);
        }
    }

    private static double classificationAccuracy(UpProcess up, String model, List<SyntheticTopics.Example> heldOut) throws Exception {
        int correct = 0;
        for (int from = 0; from < heldOut.size(); from += 50) {
            List<SyntheticTopics.Example> part = heldOut.subList(from, Math.min(heldOut.size(), from + 50));
            JsonArray data = up.call("/v1/classifications", new JsonObject().put("model", model)
                    .put("input", new JsonArray(part.stream().map(SyntheticTopics.Example::text).toList()))).getJsonArray("data");
            for (int i = 0; i < part.size(); i++) {
                correct += data.getJsonObject(i).getString("label").equals(part.get(i).label()) ? 1 : 0;
            }
        }
        return (double) correct / heldOut.size();
    }

    private static double namingAccuracy(UpProcess up, String model, List<SyntheticTopics.Example> heldOut) throws Exception {
        int correct = 0;
        for (SyntheticTopics.Example e : heldOut) {
            String text = up.call("/v1/completions", new JsonObject().put("model", model).put("prompt", e.text() + TOPIC_PROMPT)
                    .put("max_tokens", 4).put("temperature", 0)).getJsonArray("choices").getJsonObject(0).getString("text");
            correct += text.strip().startsWith(e.label()) ? 1 : 0;
        }
        return (double) correct / heldOut.size();
    }

    private record Batch(long batchNanos, long onlineNanos, int equal) {
    }

    private static Batch batch(UpProcess up, List<SyntheticTopics.Example> inputs) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            sb.append(new JsonObject().put("custom_id", "row-" + i).put("body", new JsonObject().put("model", "starter-classifier")
                    .put("input", inputs.get(i).text())).encode()).append('\n');
        }
        String file = up.upload("batch", "rows.jsonl", sb.toString()).getString("id");
        long t0 = System.nanoTime();
        String id = up.call("/v1/batches", new JsonObject().put("input_file_id", file).put("endpoint", "/v1/classifications")
                .put("completion_window", "24h")).getString("id");
        JsonObject b;
        while (!List.of("completed", "failed", "cancelled").contains((b = up.call("/v1/batches/" + id, null)).getString("status"))) {
            Thread.sleep(100);
        }
        long batchNanos = System.nanoTime() - t0;
        if (!"completed".equals(b.getString("status"))) {
            throw new IllegalStateException("batch " + id + ": " + b.encode());
        }
        Map<String, String> labels = new HashMap<>();
        for (String line : up.text("/v1/files/" + b.getString("output_file_id") + "/content").split("\n")) {
            JsonObject o = new JsonObject(line);
            labels.put(o.getString("custom_id"), o.getJsonObject("response").getJsonObject("body").getJsonArray("data")
                    .getJsonObject(0).getString("label"));
        }
        long t1 = System.nanoTime();
        int equal = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String online = up.call("/v1/classifications", new JsonObject().put("model", "starter-classifier")
                    .put("input", inputs.get(i).text())).getJsonArray("data").getJsonObject(0).getString("label");
            equal += online.equals(labels.get("row-" + i)) ? 1 : 0;
        }
        return new Batch(batchNanos, System.nanoTime() - t1, equal);
    }

    private static String lines(List<SyntheticTopics.Example> examples, boolean generation) {
        StringBuilder sb = new StringBuilder();
        for (SyntheticTopics.Example e : examples) {
            JsonObject o = generation ? new JsonObject().put("prompt", e.text() + TOPIC_PROMPT).put("completion", " " + e.label())
                    : new JsonObject().put("text", e.text()).put("label", e.label());
            sb.append(o.encode()).append('\n');
        }
        return sb.toString();
    }

    private static void row(String name, String a, String b) {
        System.out.println("| " + name + " | " + a + " | " + b + " |");
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    private static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%.1f samples/s", perSecond);
    }
}
