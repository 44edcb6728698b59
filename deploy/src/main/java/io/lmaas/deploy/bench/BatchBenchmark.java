package io.lmaas.deploy.bench;

import static io.lmaas.deploy.bench.Stats.row;

import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.starter.SyntheticTopics;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code lmaas bench batch}: classification batches through a real {@code lmaas up} (its local scheduler admits each
 * batch and runs it as a {@code worker batch} process), against the same lines sent one by one online over one
 * keep-alive connection, and against the raw DJL forward pass of the same model at batch 32 in this process — same
 * machine, same weights, one run. Each figure is the median of {@code runs} runs with the range. A batch's time is
 * from its create call to the status {@code completed} seen by polling every 50 ms (its output files written): job
 * start-up included. Its answering alone is the batch worker's own pace ({@code lines_per_second}: lines committed over
 * the seconds from its first line to its last commit); start-up is the difference.
 */
public final class BatchBenchmark {
    private BatchBenchmark() {
    }

    public static void run(int[] sizes, int runs, int onlineLines) throws Exception {
        Path dataDir = Files.createTempDirectory("lmaas-bench-batch");
        Path data = dataDir.resolve("data");
        UpProcess up = UpProcess.start(data);
        try {
            System.out.printf(Locale.ROOT, "machine: %d cores; %d runs per figure (median, range)%n",
                    Runtime.getRuntime().availableProcessors(), runs);
            System.out.println();
            System.out.println("| measure | value |");
            System.out.println("|---|---|");
            double[] onlineRate = new double[runs];
            List<SyntheticTopics.Example> onlineInputs = SyntheticTopics.examples(onlineLines, 91);
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                for (SyntheticTopics.Example e : onlineInputs) {
                    up.call("/v1/classifications", new JsonObject().put("model", "starter-classifier").put("input", e.text()));
                }
                onlineRate[r] = onlineLines / ((System.nanoTime() - t0) / 1e9);
            }
            row(String.format(Locale.ROOT, "online one by one, %,d lines (keep-alive)", onlineLines),
                    Stats.range(onlineRate, 1, "lines/s"));
            double rawRate = 0;
            for (int size : sizes) {
                List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(size, 92);
                String file = up.upload("batch", "rows.jsonl", lines(inputs)).getString("id");
                double[] total = new double[runs];
                double[] answering = new double[runs];
                double[] startup = new double[runs];
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime();
                    String id = up.call("/v1/batches", new JsonObject().put("input_file_id", file).put("endpoint", "/v1/classifications")
                            .put("completion_window", "24h")).getString("id");
                    JsonObject b;
                    while (!List.of("completed", "failed", "cancelled").contains((b = up.call("/v1/batches/" + id, null)).getString("status"))) {
                        Thread.sleep(50);
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (!"completed".equals(b.getString("status")) || b.getJsonObject("request_counts").getInteger("completed") != size) {
                        throw new IllegalStateException("batch " + id + ": " + b.encode());
                    }
                    total[r] = size / seconds;
                    answering[r] = b.getDouble("lines_per_second");
                    startup[r] = seconds - size / answering[r];
                }
                double[] raw = rawForward(data, inputs, runs);
                rawRate = Stats.median(raw);
                String n = String.format(Locale.ROOT, "%,d lines", size);
                row("batch, " + n + ", create → completed", Stats.range(total, 1, "lines/s"));
                row("batch, " + n + ", answering alone (the worker's pace)", Stats.range(answering, 1, "lines/s"));
                row("batch, " + n + ", start-up and finish (admission, JVM, model load, output files)", Stats.range(startup, 1, "s"));
                row("raw DJL forward at batch 32, the same " + n + " (tokenized beforehand)", Stats.range(raw, 1, "sentences/s"));
                row("batch / online one by one, " + n, String.format(Locale.ROOT, "%.1f×", Stats.median(total) / Stats.median(onlineRate)));
                row("batch / raw forward, " + n + " (create → completed)", String.format(Locale.ROOT, "%.2f×",
                        Stats.median(total) / rawRate));
                row("batch answering / raw forward, " + n, String.format(Locale.ROOT, "%.2f×", Stats.median(answering) / rawRate));
            }
        } finally {
            up.stop();
            UpProcess.deleteRecursively(dataDir);
        }
    }

    private static String lines(List<SyntheticTopics.Example> inputs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            sb.append(new JsonObject().put("custom_id", "row-" + i).put("body", new JsonObject().put("model", "starter-classifier")
                    .put("input", inputs.get(i).text())).encode()).append('\n');
        }
        return sb.toString();
    }

    /** The starter classifier's forward pass over the same inputs, batches of 32, in this process (runs passes). */
    private static double[] rawForward(Path data, List<SyntheticTopics.Example> inputs, int runs) throws Exception {
        Path models = data.resolve("artifacts").resolve("models").resolve("starter-classifier");
        Path version;
        try (Stream<Path> versions = Files.list(models)) {
            version = versions.sorted().reduce((a, b) -> b).orElseThrow();
        }
        double[] rates = new double[runs];
        try (ClassifierRuntime c = (ClassifierRuntime) ModelRuntime.load(version)) {
            long[][] tokenized = inputs.stream().map(e -> c.tokenizerEncode(e.text())).toArray(long[][]::new);
            for (int i = 0; i < 20; i++) {
                c.logits(Arrays.copyOf(tokenized, 32));
            }
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                for (int from = 0; from < tokenized.length; from += 32) {
                    c.logits(Arrays.copyOfRange(tokenized, from, Math.min(tokenized.length, from + 32)));
                }
                rates[r] = tokenized.length / ((System.nanoTime() - t0) / 1e9);
            }
        }
        return rates;
    }

    public static int[] sizes(String list) {
        List<Integer> out = new ArrayList<>();
        for (String s : list.split(",")) {
            out.add(Integer.parseInt(s.trim()));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
