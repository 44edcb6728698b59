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
 * the seconds from its first line to its last commit); start-up is the difference. Cold batches are each a new tenant's
 * first; warm ones are the last of those tenants' next batches, which the local scheduler hands to its idle worker.
 * With {@code standby} (the platform's default), a cold batch goes to the standby batch worker, started for no tenant
 * and warmed up on the starter classifier: the bench waits, before each batch, until a standby newer than the last one
 * used stands by (a platform at rest, as a new tenant's first batch usually finds it). Without, a cold batch starts a
 * new worker process (JVM start, model load, compilation as it goes).
 */
public final class BatchBenchmark {
    private BatchBenchmark() {
    }

    public static void run(int[] sizes, int runs, int onlineLines, boolean standby) throws Exception {
        Path dataDir = ScratchDirs.create("lmaas-bench-batch");
        Path data = dataDir.resolve("data");
        UpProcess up = UpProcess.start(data, standby ? List.of() : List.of("--batch-standby-model=none"));
        Standbys standbys = new Standbys(data.resolve("logs"), standby);
        try {
            System.out.printf(Locale.ROOT, "machine: %d cores; %d runs per figure (median, range); standby batch worker: %s%n",
                    Runtime.getRuntime().availableProcessors(), runs, standby ? "yes (waited for before each batch)" : "none");
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
            for (int size : sizes) {
                List<SyntheticTopics.Example> inputs = SyntheticTopics.examples(size, 92);
                String content = lines(inputs);
                String n = String.format(Locale.ROOT, "%,d lines", size);
                // Cold: each run a new tenant, so no batch worker of its is up (a worker serves one tenant): a JVM starts,
                // loads the model and compiles as it goes. Warm: the same tenant's next batches, handed to its idle worker.
                Runs cold = new Runs(runs);
                String key = null;
                for (int r = 0; r < runs; r++) {
                    key = up.newTenantKey("bench-batch-" + size + "-" + r);
                    String input = up.upload(key, "batch", "rows.jsonl", content).getString("id");
                    standbys.awaitFresh();
                    cold.add(r, size, batch(up, key, input, size));
                }
                String file = up.upload(key, "batch", "rows.jsonl", content).getString("id");
                Runs warm = new Runs(runs);
                for (int r = 0; r < runs; r++) {
                    standbys.awaitFresh(); // a standby warming up would take CPU from the batch
                    warm.add(r, size, batch(up, key, file, size));
                }
                standbys.awaitFresh(); // nothing else computing while the raw forward is timed
                double[] raw = rawForward(data, inputs, runs);
                double rawRate = Stats.median(raw);
                double online = Stats.median(onlineRate);
                for (String kind : List.of("cold", "warm")) {
                    Runs x = kind.equals("cold") ? cold : warm;
                    String what = kind.equals("cold") ? "cold (a new worker)" : "warm (the tenant's idle worker)";
                    row("batch, " + n + ", " + what + ", create → completed", Stats.range(x.total, 1, "lines/s"));
                    row("batch, " + n + ", " + kind + ", answering alone (the worker's pace)", Stats.range(x.answering, 1, "lines/s"));
                    row("batch, " + n + ", " + kind + ", start-up and finish", Stats.range(x.startup, 1, "s"));
                    row("batch / online one by one, " + n + ", " + kind, String.format(Locale.ROOT, "%.1f×",
                            Stats.median(x.total) / online));
                    row("batch / raw forward, " + n + ", " + kind + " (create → completed)", String.format(Locale.ROOT, "%.2f×",
                            Stats.median(x.total) / rawRate));
                    row("batch answering / raw forward, " + n + ", " + kind, String.format(Locale.ROOT, "%.2f×",
                            Stats.median(x.answering) / rawRate));
                }
                row("raw DJL forward at batch 32, the same " + n + " (tokenized beforehand)", Stats.range(raw, 1, "sentences/s"));
            }
        } finally {
            up.stop();
        }
    }

    /**
     * The standby batch workers, read from their logs ({@code batch-standby-*.log}): {@link #awaitFresh} waits until one
     * started after the last one a batch took stands by.
     */
    private static final class Standbys {
        private final Path logs;
        private final boolean on;

        Standbys(Path logs, boolean on) {
            this.logs = logs;
            this.on = on;
        }

        void awaitFresh() throws Exception {
            if (!on) {
                return;
            }
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (System.nanoTime() < deadline) {
                List<Path> all;
                try (Stream<Path> files = Files.list(logs)) {
                    all = files.filter(f -> f.getFileName().toString().startsWith("batch-standby-")).sorted().toList();
                }
                // The newest standby is fresh if no batch ran in it: its log says it stands by and names no batch.
                if (!all.isEmpty()) {
                    String log = Files.readString(all.get(all.size() - 1));
                    if (log.contains("standing by for a batch") && !log.contains(" lines of ")) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("no standby batch worker stood by within 120 s (see " + logs + ")");
        }
    }

    /** Per run: lines/s from create to completed, the worker's own pace, and the rest (start-up and finish, seconds). */
    private static final class Runs {
        final double[] total;
        final double[] answering;
        final double[] startup;

        Runs(int runs) {
            total = new double[runs];
            answering = new double[runs];
            startup = new double[runs];
        }

        void add(int r, int size, double[] seconds) {
            total[r] = size / seconds[0];
            answering[r] = seconds[1];
            startup[r] = seconds[0] - size / seconds[1];
        }
    }

    /** One batch from create to completed (polled every 50 ms): its seconds and the worker's lines per second. */
    private static double[] batch(UpProcess up, String key, String file, int size) throws Exception {
        long t0 = System.nanoTime();
        String id = up.call("/v1/batches", key, new JsonObject().put("input_file_id", file).put("endpoint", "/v1/classifications")
                .put("completion_window", "24h")).getString("id");
        JsonObject b;
        while (!List.of("completed", "failed", "cancelled").contains((b = up.call("/v1/batches/" + id, key, null)).getString("status"))) {
            Thread.sleep(50);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!"completed".equals(b.getString("status")) || b.getJsonObject("request_counts").getInteger("completed") != size) {
            throw new IllegalStateException("batch " + id + ": " + b.encode());
        }
        return new double[] {seconds, b.getDouble("lines_per_second")};
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
            // Warmed up for 3 s: after 20 calls the three runs spread over 0.6–1.2× their median (docs/benchmarks.md).
            long warm = System.nanoTime();
            for (int from = 0; System.nanoTime() - warm < 3_000_000_000L; from = (from + 32) % (tokenized.length - 32)) {
                c.logits(Arrays.copyOfRange(tokenized, from, from + 32));
            }
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                for (int from = 0; from < tokenized.length; from += 32) {
                    c.logits(Arrays.copyOfRange(tokenized, from, Math.min(tokenized.length, from + 32)));
                }
                rates[r] = tokenized.length / ((System.nanoTime() - t0) / 1e9);
                System.out.printf(Locale.ROOT, "raw forward, run %d: %.0f sentences/s%n", r + 1, rates[r]);
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
