package io.lmaas.deploy.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.Weights;
import io.lmaas.worker.nn.EncoderClassifier;
import io.lmaas.worker.nn.TransformerSpec;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.ClassifierRuntime;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.starter.StarterModels;
import io.lmaas.worker.starter.SyntheticTopics;
import io.lmaas.worker.wlm.DynamicBatcher;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServingObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code lmaas bench worker}: the serving core with the starter models, in one process.
 * <ul>
 *   <li>Classification: raw forward throughput per batch size; served throughput and p50/p99 at 1, 16 and 64
 *       concurrent clients with dynamic batching on (up to 32, 2 ms) and off (batch 1).
 *   <li>Generation: aggregate tokens/s and time to first token at 1, 4 and 16 concurrent streams (continuous
 *       batching up to 16).
 *   <li>Efficiency: the classifier's FLOP/s at batch 32 against the machine's measured fp32 matmul peak.
 *   <li>Python: the same classifier weights in PyTorch eager (Debian python3-torch), same threads.
 * </ul>
 */
public final class WorkerBenchmark {
    private WorkerBenchmark() {
    }

    public static void run(Path models, int seconds, String part) throws Exception {
        Files.createDirectories(models);
        Path classifierDir = models.resolve(StarterModels.CLASSIFIER);
        Path generatorDir = models.resolve(StarterModels.GENERATOR);
        StarterModels.ensure(StarterModels.CLASSIFIER, classifierDir, 42);
        StarterModels.ensure(StarterModels.GENERATOR, generatorDir, 42);
        Duration d = Duration.ofSeconds(seconds);
        List<String> sentences = SyntheticTopics.examples(2000, 99).stream().map(SyntheticTopics.Example::text).toList();
        System.out.printf(Locale.ROOT, "machine: %d cores; OMP_NUM_THREADS=%s; %d s per measurement%n",
                Runtime.getRuntime().availableProcessors(), System.getenv("OMP_NUM_THREADS"), seconds);

        if (!part.equals("generation")) {
            classification(classifierDir, sentences, d, seconds);
        }
        if (!part.equals("classification")) {
            generation(generatorDir, d);
        }
    }

    private static void classification(Path classifierDir, List<String> sentences, Duration d, int seconds) throws Exception {
        try (ClassifierRuntime classifier = (ClassifierRuntime) ModelRuntime.load(classifierDir)) {
            long[][] tokenized = sentences.stream().map(s -> classifier.tokenizerEncode(s)).toArray(long[][]::new);
            double avgTokens = Arrays.stream(tokenized).mapToInt(t -> t.length).average().orElse(0);
            System.out.println();
            System.out.printf(Locale.ROOT, "| classification (starter classifier, %.1f tokens per sentence) | value |%n", avgTokens);
            System.out.println("|---|---|");
            double[] raw = new double[65];
            for (int batch : new int[] {1, 16, 32, 64}) {
                raw[batch] = rawForward(classifier, tokenized, batch, d);
                row("raw DJL forward, batch " + batch, fmt(raw[batch]) + " sentences/s");
            }
            double single = 0;
            double best = 0;
            for (boolean batching : new boolean[] {false, true}) {
                for (int clients : new int[] {1, 16, 64}) {
                    Served s = served(classifier, sentences, batching ? 32 : 1, clients, d);
                    row("served, batching " + (batching ? "on" : "off") + ", " + clients + " clients",
                            fmt(s.rate()) + " sentences/s, p50 " + ms(s.p50()) + ", p99 " + ms(s.p99()) + ", mean batch "
                                    + String.format(Locale.ROOT, "%.1f", s.meanBatch()));
                    if (batching && clients == 1) {
                        single = s.rate();
                    }
                    if (batching && clients == 64) {
                        best = s.rate();
                    }
                }
            }
            row("served (64 clients) / raw forward at batch 32", ratio(best / raw[32]));
            row("served (64 clients) / served (1 client)", ratio(best / single));
            row("served (64 clients) / raw forward at batch 1", ratio(best / raw[1]));

            double peak = ClosedLoops.matmulPeak(d);
            double flops = classifierFlops(classifier.properties().spec(), classifier.properties().labels().size(), avgTokens);
            row("fp32 matmul peak (1024³, DJL/libtorch)", String.format(Locale.ROOT, "%.2f GFLOP/s", peak / 1e9));
            row("model FLOP/s at batch 32 (raw forward)", String.format(Locale.ROOT, "%.2f GFLOP/s (%.0f kFLOP per sentence)",
                    flops * raw[32] / 1e9, flops / 1e3));
            row("efficiency at batch 32", String.format(Locale.ROOT, "%.3f of peak", flops * raw[32] / peak));

            Eager python = pythonEager(classifierDir, classifier, tokenized, seconds);
            if (python != null) {
                row("PyTorch eager (Python), batch 32", fmt(python.rate()) + " sentences/s (its fp32 matmul peak "
                        + String.format(Locale.ROOT, "%.2f GFLOP/s", python.matmulPeak() / 1e9) + ")");
                row("worker raw forward / PyTorch eager, batch 32", ratio(raw[32] / python.rate()));
            }
            efficiencyAtSize(peak, d, seconds);
        }

    }

    private static void generation(Path generatorDir, Duration d) throws Exception {
        try (GeneratorRuntime generator = (GeneratorRuntime) ModelRuntime.load(generatorDir)) {
            System.out.println();
            System.out.println("| generation (starter generator, continuous batching up to 16) | value |");
            System.out.println("|---|---|");
            double one = 0;
            double oneTtftP99 = 0;
            for (int streams : new int[] {1, 4, 16}) {
                Generated g = generated(generator, streams, d);
                row(streams + " concurrent streams", fmt(g.tokensPerSecond()) + " tokens/s, TTFT p50 " + ms(g.ttftP50())
                        + ", p99 " + ms(g.ttftP99()));
                if (streams == 1) {
                    one = g.tokensPerSecond();
                    oneTtftP99 = g.ttftP99();
                } else if (streams == 16) {
                    row("16 streams / 1 stream, tokens/s", ratio(g.tokensPerSecond() / one));
                    row("16 streams / 1 stream, TTFT p99", ratio(g.ttftP99() / oneTtftP99));
                }
            }
        }
    }

    private record Served(double rate, double p50, double p99, double meanBatch) {
    }

    /** PyTorch eager's throughput and the fp32 matmul peak of that same PyTorch build. */
    private record Eager(double rate, double matmulPeak) {
    }

    private record Generated(double tokensPerSecond, double ttftP50, double ttftP99) {
    }

    private static double rawForward(ClassifierRuntime c, long[][] tokenized, int batch, Duration d) {
        long[][] inputs = Arrays.copyOf(tokenized, batch);
        for (int i = 0; i < 20; i++) {
            c.logits(inputs);
        }
        long n = 0;
        long start = System.nanoTime();
        long end = start + d.toNanos();
        int offset = 0;
        while (System.nanoTime() < end) {
            inputs = Arrays.copyOfRange(tokenized, offset, offset + batch);
            offset = (offset + batch) % (tokenized.length - batch);
            c.logits(inputs);
            n += batch;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static Served served(ClassifierRuntime c, List<String> sentences, int maxBatch, int clients, Duration d)
            throws Exception {
        AtomicLong batches = new AtomicLong();
        AtomicLong batched = new AtomicLong();
        ServingObserver observer = new ServingObserver() {
            @Override
            public void batch(int size) {
                batches.incrementAndGet();
                batched.addAndGet(size);
            }
        };
        try (DynamicBatcher<Classification> batcher = new DynamicBatcher<>(c,
                new DynamicBatcher.Settings(maxBatch, Duration.ofMillis(2), 100_000, 1), observer)) {
            ClosedLoops.run(clients, Duration.ofSeconds(1), i -> batcher.submit(List.of(sentences.get(i % sentences.size()))));
            batches.set(0);
            batched.set(0);
            long[] latencies = ClosedLoops.run(clients, d, i -> batcher.submit(List.of(sentences.get(i % sentences.size()))));
            double rate = latencies.length / (d.toNanos() / 1e9);
            Arrays.sort(latencies);
            return new Served(rate, pct(latencies, 0.5), pct(latencies, 0.99), (double) batched.get() / Math.max(1, batches.get()));
        }
    }

    private static Generated generated(GeneratorRuntime g, int streams, Duration d) throws Exception {
        try (GenerationEngine engine = new GenerationEngine(g, 16, 10_000, ServingObserver.NONE)) {
            AtomicLong tokens = new AtomicLong();
            ConcurrentLinkedQueue<Long> ttft = new ConcurrentLinkedQueue<>();
            String[] prompts = {"the striker", "the storm", "investors", "the startup", "heavy rain", "the coach"};
            ClosedLoops.ClosedLoop request = i -> {
                long t0 = System.nanoTime();
                boolean[] first = {true};
                return engine.submit(new GenerationRequest(prompts[i % prompts.length], 48, 0.8, 1.0, 0, List.of(), i),
                        new GenerationEngine.Listener() {
                            @Override
                            public void delta(String text, int n) {
                                if (first[0]) {
                                    first[0] = false;
                                    ttft.add(System.nanoTime() - t0);
                                }
                            }
                        }, () -> false).thenAccept(r -> tokens.addAndGet(r.completionTokens()));
            };
            ClosedLoops.run(streams, Duration.ofSeconds(2), request);
            tokens.set(0);
            ttft.clear();
            long start = System.nanoTime();
            ClosedLoops.run(streams, d, request);
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] t = ttft.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Generated(tokens.get() / seconds, pct(t, 0.5), pct(t, 0.99));
        }
    }

    /** Forward FLOPs of one sentence of {@code tokens} tokens (multiply-adds x 2; layer norms and softmax left out). */
    static double classifierFlops(TransformerSpec spec, int classes, double tokens) {
        double d = spec.dModel();
        double perLayer = tokens * (2 * d * 3 * d + 2 * d * d + 2 * 2 * d * 4 * d) + 2 * 2 * tokens * tokens * d;
        return spec.layers() * perLayer + 2 * d * classes;
    }

    /**
     * Efficiency where compute, not per-call overhead, dominates: an encoder of MiniLM-L6's size (random
     * weights; FLOPs do not depend on them) at batch 32 x 64 tokens, against the matmul peak and PyTorch eager.
     */
    private static void efficiencyAtSize(double peak, Duration d, int seconds) throws Exception {
        TransformerSpec spec = new TransformerSpec(30522, 384, 12, 6, 128);
        int batch = 32;
        int tokens = 64;
        EncoderClassifier block = new EncoderClassifier(spec, 4);
        try (NDManager model = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            block.initialize(model, DataType.FLOAT32, new Shape(batch, tokens), new Shape(batch, tokens));
            java.util.Random random = new java.util.Random(1);
            long[][] inputs = new long[batch * 8][];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = random.longs(tokens, 0, spec.vocabSize()).toArray();
            }
            long n = 0;
            long start = 0;
            for (int i = -2; start == 0 || System.nanoTime() - start < d.toNanos(); i++) {
                if (i == 0) {
                    start = System.nanoTime();
                }
                try (NDManager request = model.newSubManager()) {
                    long[] ids = new long[batch * tokens];
                    for (int b = 0; b < batch; b++) {
                        System.arraycopy(inputs[(Math.max(i, 0) * batch + b) % inputs.length], 0, ids, b * tokens, tokens);
                    }
                    NDArray keep = request.ones(new Shape(batch, tokens));
                    block.forward(new ParameterStore(request, false), new NDList(request.create(ids, new Shape(batch, tokens)), keep),
                            false).singletonOrThrow().toFloatArray();
                }
                if (i >= 0) {
                    n += batch;
                }
            }
            double rate = n / ((System.nanoTime() - start) / 1e9);
            double flops = classifierFlops(spec, 4, tokens);
            System.out.println();
            System.out.println("| efficiency: encoder of MiniLM-L6 size (d 384, 6 layers, 12 heads), batch 32 x 64 tokens | value |");
            System.out.println("|---|---|");
            row("raw DJL forward, batch 32", fmt(rate) + " sentences/s");
            row("model FLOP/s", String.format(Locale.ROOT, "%.2f GFLOP/s (%.1f MFLOP per sentence)", flops * rate / 1e9, flops / 1e6));
            row("efficiency at batch 32", String.format(Locale.ROOT, "%.3f of peak", flops * rate / peak));
            Eager python = pythonEager(block, inputs, seconds);
            if (python != null) {
                row("PyTorch eager (Python), batch 32", String.format(Locale.ROOT, "%.1f sentences/s, %.3f of its own matmul peak",
                        python.rate(), flops * python.rate() / python.matmulPeak()));
                row("worker raw forward / PyTorch eager, batch 32", ratio(rate / python.rate()));
            }
        }
    }

    /** The starter classifier in PyTorch eager via Debian's python3-torch, or null if it is not installed. */
    private static Eager pythonEager(Path classifierDir, ClassifierRuntime runtime, long[][] tokenized, int seconds)
            throws Exception {
        EncoderClassifier block = new EncoderClassifier(runtime.properties().spec(), runtime.properties().labels().size());
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Weights.load(block, m, classifierDir.resolve(runtime.properties().weightsFile()));
            return pythonEager(block, tokenized, seconds);
        }
    }

    /** {@code block} (parameters loaded) in PyTorch eager on batches of 32 of {@code tokenized}, or null without python3-torch. */
    private static Eager pythonEager(EncoderClassifier block, long[][] tokenized, int seconds) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            return null;
        }
        Path work = ScratchDirs.create("lmaas-eager-");
        Weights.saveSafetensors(block, work.resolve("model.safetensors"));
        StringBuilder ids = new StringBuilder("[");
        for (int i = 0; i < Math.min(32 * 8, tokenized.length); i++) {
            ids.append(i == 0 ? "" : ",").append(Arrays.toString(tokenized[i]));
        }
        Files.writeString(work.resolve("inputs.json"), ids.append("]").toString());
        Path script = work.resolve("eager.py");
        try (var in = WorkerBenchmark.class.getResourceAsStream("/bench/eager_classifier.py")) {
            Files.copy(in, script);
        }
        ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), work.toString(),
                Integer.toString(block.spec().heads()), Integer.toString(block.spec().layers()),
                Integer.toString(seconds)).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
        Process p = pb.start();
        String last = null;
        double pythonPeak = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                last = line;
                if (line.startsWith("matmul_gflops=")) {
                    pythonPeak = Double.parseDouble(line.substring("matmul_gflops=".length()));
                }
            }
        }
        if (p.waitFor() != 0 || last == null || !last.startsWith("sentences_per_second=")) {
            System.out.println("(PyTorch eager comparison failed: " + last + ")");
            return null;
        }
        return new Eager(Double.parseDouble(last.substring("sentences_per_second=".length())), pythonPeak * 1e9);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static void row(String name, String value) {
        System.out.println("| " + name + " | " + value + " |");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String ms(double nanos) {
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    private static String ratio(double r) {
        return String.format(Locale.ROOT, "%.2f×", r);
    }
}
