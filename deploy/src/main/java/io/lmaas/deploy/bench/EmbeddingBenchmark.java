package io.lmaas.deploy.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.deploy.local.RealModels;
import io.lmaas.scheduler.local.LocalBackendConfig;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.EncoderRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.wlm.LengthBuckets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * {@code lmaas bench embeddings}: all-MiniLM-L6-v2 sentence embeddings at 32 and 128 tokens, side by side in one run, on
 * the same weights and the same number of threads (OMP_NUM_THREADS, default the machine's cores):
 * <ul>
 *   <li>the LMaaS worker as deployed: a {@code lmaas worker serve} process with one inference thread per core (each pass
 *       on one OpenMP thread, passes of ≤ {@code maxPassTokens}), loaded by wrk over 64 keep-alive connections each
 *       asking for one embedding at a time (dynamic batching up to 64); the worker's CPU use and resident memory;
 *   <li>the worker's forward pass alone, in this process on all the threads: one pass of 64, and passes of ≤ 2048
 *       tokens;
 *   <li>ONNX Runtime Java in-process on the original ONNX file (what a Java user picks today): 64 client threads each
 *       running one input per call, and one batch of 64 per call;
 *   <li>PyTorch eager (Debian's python3-torch, BertModel written from Hugging Face's code) on batches of 64.
 * </ul>
 * FLOP/s against the fp32 matmul peak measured in this process; each figure the median of {@code runs} measurements
 * with their range. The worker, its forward pass and ONNX Runtime are measured in rounds, each arm once per round, so
 * that the machine's drift weighs on all of them alike; the ratios are given both of the medians and per round.
 */
public final class EmbeddingBenchmark {
    private static final int CLIENTS = 64;
    private static final int BATCH = 64;
    /** Debian's python3-torch uses a generic BLAS (~3 GFLOP/s): a batch of 64 at 128 tokens alone takes a minute. */
    private static final int PYTHON_BATCH = 8;

    private EmbeddingBenchmark() {
    }

    public static void run(Path models, int seconds, int runs, int maxPassTokens) throws Exception {
        RealModels.RealModel model = RealModels.MODELS.get(0);
        Path dir = models.resolve(model.id());
        RealModels.ensure(model, dir);
        Path work = ScratchDirs.create("lmaas-bench-embeddings-");
        Path onnx = work.resolve("model.onnx");
        try (InputStream in = EmbeddingBenchmark.class.getClassLoader().getResourceAsStream(model.resource() + ".onnx")) {
            Files.copy(in, onnx);
        }
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS",
                Integer.toString(Runtime.getRuntime().availableProcessors())));
        Duration d = Duration.ofSeconds(seconds);
        double peak = ClosedLoops.matmulPeak(d);
        System.out.printf(Locale.ROOT, "machine: %d cores; %d threads for every system; %d s per measurement, median of %d;"
                + " DJL/libtorch fp32 matmul peak %.1f GFLOP/s%n", Runtime.getRuntime().availableProcessors(), threads, seconds, runs,
                peak / 1e9);
        Process worker = startWorker(dir, work, threads, maxPassTokens);
        try {
            String url = awaitReady(work.resolve("worker.port"));
            for (int length : new int[] {32, 128}) {
                long[][] inputs = inputs(length, 512);
                measure(length, inputs, dir, onnx, url, worker, work, threads, peak, d, runs, maxPassTokens);
            }
        } finally {
            worker.destroy();
            worker.waitFor();
        }
    }

    /** Token-id sequences of exactly {@code length}: [CLS], random word pieces, [SEP]. */
    private static long[][] inputs(int length, int count) {
        Random r = new Random(length);
        long[][] out = new long[count][length];
        for (long[] row : out) {
            row[0] = 101;
            for (int t = 1; t < length - 1; t++) {
                row[t] = 1000 + r.nextInt(29_000);
            }
            row[length - 1] = 102;
        }
        return out;
    }

    private static void measure(int length, long[][] inputs, Path dir, Path onnx, String url, Process worker, Path work, int threads,
            double peak, Duration d, int runs, int maxPassTokens) throws Exception {
        double flops = flops(length);
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            JsonArray ids = new JsonArray();
            Arrays.stream(inputs[i]).forEach(ids::add);
            bodies.add(new JsonObject().put("inputs", new JsonArray().add(ids)).encode());
        }
        Path script = WrkLoad.script(work, "embed-" + length + ".lua", bodies, Map.of("Authorization", WorkerToken.header(TOKEN)), false);
        String embed = url + "/v1/embed";
        // Warm-up as long as a measurement: the worker meets each pass size (1 to 64 inputs) for the first time here, and
        // oneDNN compiles its kernels per shape.
        WrkLoad.run(embed, script, 1, CLIENTS, (int) d.toSeconds());
        double[] workerCores = new double[runs];
        double best;
        try (ModelRuntime runtime = ModelRuntime.load(dir);
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            EncoderRuntime e = (EncoderRuntime) runtime;
            List<Encoded> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                batch.add(new Encoded(inputs[i], length));
            }
            e.embedder().run(batch);
            int[] lengths = batch.stream().mapToInt(Encoded::length).toArray();
            List<int[]> planned = LengthBuckets.plan(lengths, LengthBuckets.DEFAULT_OVERHEAD_TOKENS, LengthBuckets.DEFAULT_MAX_PASS_TOKENS);
            options.setIntraOpNumThreads(threads);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(onnx.toString(), options)) {
                long[][] ortBatch = Arrays.copyOf(inputs, BATCH);
                EmbeddingReferences.ort(env, session, ortBatch);
                for (long[] input : inputs) {
                    EmbeddingReferences.ort(env, session, new long[][] {input});
                }
                forward(e, batch, planned, Duration.ofSeconds(1));
                // Every arm once per round, the rounds one after another: this machine's speed drifts by 10-20 % within
                // minutes, and a drift then weighs on every arm alike instead of on whichever ran during it.
                Map<String, double[]> rates = new java.util.LinkedHashMap<>();
                String served = "LMaaS worker, served over HTTP, " + CLIENTS + " wrk connections (dynamic batching ≤ " + BATCH + "; "
                        + threads + " inference threads, each pass ≤ " + maxPassTokens + " tokens on one OpenMP thread)";
                String raw = "LMaaS worker forward pass alone (DJL, in-process), one pass of " + BATCH;
                String passes = "LMaaS worker forward pass alone, " + BATCH + " inputs in passes of ≤ "
                        + LengthBuckets.DEFAULT_MAX_PASS_TOKENS + " tokens";
                String single = "ONNX Runtime Java in-process, " + CLIENTS + " client threads, one input per call";
                String batched = "ONNX Runtime Java in-process, batch " + BATCH + " per call";
                for (String arm : List.of(served, raw, passes, single, batched)) {
                    rates.put(arm, new double[runs]);
                }
                for (int run = 0; run < runs; run++) {
                    java.time.Duration cpu0 = cpu(worker);
                    long t0 = System.nanoTime();
                    rates.get(served)[run] = WrkLoad.run(embed, script, 1, CLIENTS, (int) d.toSeconds()).rps();
                    workerCores[run] = (cpu(worker).minus(cpu0)).toNanos() / (double) (System.nanoTime() - t0);
                    rates.get(raw)[run] = forward(e, batch, List.of(java.util.stream.IntStream.range(0, BATCH).toArray()), d);
                    rates.get(passes)[run] = forward(e, batch, planned, d);
                    rates.get(single)[run] = rate(ClosedLoops.runOrThrow(CLIENTS, d, i -> {
                        EmbeddingReferences.ort(env, session, new long[][] {inputs[i % inputs.length]});
                        return CompletableFuture.completedFuture(null);
                    }), d);
                    rates.get(batched)[run] = loop(d, BATCH, () -> EmbeddingReferences.ort(env, session, ortBatch));
                    int round = run;
                    System.out.printf(Locale.ROOT, "%d tokens, round %d (sentences/s, the table's order):%s%n", length, round + 1,
                            rates.values().stream().map(r -> String.format(Locale.ROOT, " %.1f", r[round])).reduce("", String::concat));
                }
                // The peak is the best the machine shows: measured again after the rounds (one measurement can land in a
                // slow moment of this VM: 160 GFLOP/s once against 345-454 otherwise).
                best = Math.max(peak, ClosedLoops.matmulPeak(d));
                System.out.println();
                System.out.printf(Locale.ROOT, "| all-MiniLM-L6-v2, %d tokens (%.2f GFLOP per sentence) | sentences/s: median [range] | of peak"
                        + " (%.1f GFLOP/s: the better of the run's start and after these rounds) |%n", length, flops / 1e9, best / 1e9);
                System.out.println("|---|---|---|");
                rates.forEach((name, r) -> row(name, r, flops, best));
                System.out.printf(Locale.ROOT, "| worker CPU while served (cores of %d) | %.2f | |%n",
                        Runtime.getRuntime().availableProcessors(), Stats.median(workerCores));
                ratio("LMaaS served / ONNX Runtime (one input per call)", rates.get(served), rates.get(single));
                ratio("LMaaS served / ONNX Runtime (batch " + BATCH + ")", rates.get(served), rates.get(batched));
            }
        }
        double[] python = EmbeddingReferences.pythonEager(dir, inputs, work, threads, d, runs, PYTHON_BATCH);
        if (python != null) {
            row("PyTorch eager (Debian python3-torch, generic BLAS), batch " + PYTHON_BATCH, python, flops, best);
        }
        System.out.printf(Locale.ROOT, "| worker resident memory after the run (RSS / peak RSS) | %s / %s | |%n",
                mb(status(worker, "VmRSS:")), mb(status(worker, "VmHWM:")));
    }

    /** CPU time the process has used so far (user and system). */
    private static java.time.Duration cpu(Process p) {
        return p.toHandle().info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("no CPU time for the worker"));
    }

    private static final String TOKEN = "bench-worker-token-" + Long.toHexString(new Random().nextLong());

    /** Sentences/s of the forward pass alone over {@code batch}, run as the given passes, for {@code d}. */
    private static double forward(EncoderRuntime e, List<Encoded> batch, List<int[]> passes, Duration d) {
        List<List<Encoded>> split = passes.stream().map(g -> java.util.Arrays.stream(g).mapToObj(batch::get).toList()).toList();
        return loop(d, batch.size(), () -> split.forEach(pass -> e.embedder().run(pass)));
    }

    /** Inputs per second of {@code call} (each call {@code size} inputs) run back to back for {@code d}. */
    private static double loop(Duration d, int size, Call call) {
        long n = 0;
        long start = System.nanoTime();
        try {
            while (System.nanoTime() - start < d.toNanos()) {
                call.run();
                n += size;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private interface Call {
        void run() throws Exception;
    }

    /** The ratio of the medians, and the median [range] of the rounds' own ratios (each round's arms ran back to back). */
    private static void ratio(String name, double[] a, double[] b) {
        double[] paired = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            paired[i] = a[i] / b[i];
        }
        Arrays.sort(paired);
        System.out.printf(Locale.ROOT, "| %s | %.2f× (per round: %.2f× [%.2f–%.2f]) | |%n", name, Stats.median(a) / Stats.median(b),
                Stats.median(paired), paired[0], paired[paired.length - 1]);
    }

    private static Process startWorker(Path dir, Path work, int threads, int maxPassTokens) throws Exception {
        // As the platform starts workers: the same JVM options (LocalBackendConfig.WORKER_JVM_OPTIONS) unless the bench is told.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String options = System.getenv("BENCH_WORKER_JVM_OPTIONS");
        command.addAll(options == null ? LocalBackendConfig.WORKER_JVM_OPTIONS : List.of(options.trim().split("\\s+")));
        command.addAll(List.of("-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "io.lmaas.deploy.Main", "worker", "serve", "--model-dir=" + dir, "--port-file=" + work.resolve("worker.port"),
                "--batch-size=" + BATCH, "--batch-delay-ms=2", "--queue-capacity=100000", "--max-pass-tokens=" + maxPassTokens,
                "--threads=" + threads));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("worker.log").toFile());
        pb.environment().put(WorkerToken.ENV, TOKEN);
        // One inference thread per core, each pass on one OpenMP thread: passes of a batch run side by side, and a core taken
        // for a moment by HTTP work delays one pass instead of stalling every thread of a parallel region at its barrier.
        pb.environment().put("OMP_NUM_THREADS", "1");
        // As the platform starts workers (LocalBackendConfig.WORKER_ENVIRONMENT): two malloc arenas.
        pb.environment().put("MALLOC_ARENA_MAX", System.getenv().getOrDefault("BENCH_MALLOC_ARENA_MAX", "2"));
        return pb.start();
    }

    private static String awaitReady(Path portFile) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(portFile)) {
                String url = "http://127.0.0.1:" + Files.readString(portFile).trim();
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200) {
                        return url;
                    }
                } catch (java.io.IOException e) {
                    // not listening yet
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the worker did not become ready in 2 minutes");
    }

    /** Forward FLOPs of one sentence of {@code t} tokens through MiniLM-L6 (d 384, 6 layers, FFN 1536): matmuls only. */
    static double flops(int t) {
        double d = 384;
        double perLayer = 2.0 * t * (4 * d * d + 2 * d * 4 * d) + 2.0 * 2 * t * t * d;
        return 6 * perLayer;
    }

    private static double rate(long[] latencies, Duration d) {
        return latencies.length / (d.toNanos() / 1e9);
    }

    private static void row(String name, double[] rates, double flops, double peak) {
        double[] s = rates.clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "| %s | %,.0f [%,.0f–%,.0f] | %.3f (%.1f GFLOP/s) |%n", name, Stats.median(s), s[0], s[s.length - 1],
                Stats.median(s) * flops / peak, Stats.median(s) * flops / 1e9);
    }

    private static long status(Process p, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "n/a" : (bytes >> 20) + " MB";
    }
}
