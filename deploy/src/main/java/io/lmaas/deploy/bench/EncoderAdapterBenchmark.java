package io.lmaas.deploy.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.lmaas.deploy.local.RealModels;
import io.lmaas.worker.hf.encoder.ClassifierCheckpoint;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.lora.EncoderLoraAdapter;
import io.lmaas.worker.hf.lora.LoraTrainable;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.EncoderRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code lmaas bench encoder-adapters}: LoRA classifier adapters on the real bge-small-zh-v1.5 encoder (a bare encoder,
 * served for embeddings), 64 adapters written by the benchmark (rank 8 on query and value of every layer, a four-label
 * head with its pooler; random values). One forward pass of 64 inputs of 32 tokens: the base alone (its embedding pass,
 * query/key/value fused), then every row on one adapter, on 8 and on 64 distinct adapters (per-row low-rank deltas and
 * each adapter's head), in the same process; plus an adapter's cold load and memory. Median of {@code runs} runs with
 * the range, {@code passes} passes each.
 */
public final class EncoderAdapterBenchmark {
    private static final int ADAPTERS = 64;
    private static final int ROWS = 64;
    private static final int TOKENS = 32;

    private EncoderAdapterBenchmark() {
    }

    public static void run(Path models, int runs, int passes) throws Exception {
        RealModels.RealModel model = RealModels.MODELS.stream().filter(m -> m.id().equals("bge-small-zh-v1.5")).findFirst().orElseThrow();
        Path real = models.resolve(model.id());
        RealModels.ensure(model, real);
        Path dir = models.resolve(model.id() + "-adapters-base");
        Files.createDirectories(dir);
        try (var files = Files.list(real)) {
            for (Path f : files.toList()) {
                if (!Files.exists(dir.resolve(f.getFileName())) && !f.getFileName().toString().equals("serving.properties")) {
                    Files.createSymbolicLink(dir.resolve(f.getFileName()), f.toAbsolutePath());
                }
            }
        }
        Files.writeString(dir.resolve("serving.properties"), "max_loras=" + ADAPTERS + "\n");
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(real.resolve("config.json"))));
        Path adapters = models.resolve(model.id() + "-adapters");
        for (int a = 0; a < ADAPTERS; a++) {
            if (!Files.isRegularFile(adapters.resolve("a" + a).resolve("adapter_model.safetensors"))) {
                writeAdapter(config, adapters.resolve("a" + a), 1000 + a);
            }
        }
        System.out.printf(Locale.ROOT, "machine: %d cores; %s (hidden %d, %d layers); %d inputs of %d tokens per pass, %d passes"
                + " per run, median of %d runs%n", Runtime.getRuntime().availableProcessors(), model.id(), config.hidden(),
                config.layers(), ROWS, TOKENS, passes, runs);
        System.out.println();
        System.out.println("| | value |");
        System.out.println("|---|---|");
        try (EncoderRuntime runtime = (EncoderRuntime) ModelRuntime.load(dir)) {
            double[] loadMs = new double[ADAPTERS];
            for (int a = 0; a < ADAPTERS; a++) {
                long t = System.nanoTime();
                runtime.adapters().load(a + 1, adapters.resolve("a" + a));
                loadMs[a] = (System.nanoTime() - t) / 1e6;
            }
            Stats.row("adapter cold load (read, checked against the base, written into the bank), rank 8",
                    "median " + Stats.range(java.util.Arrays.stream(loadMs).sorted().toArray(), 1, "ms") + " over " + ADAPTERS + " adapters");
            Stats.row("memory per adapter (float32 factors and head)", String.format(Locale.ROOT, "%.2f MB",
                    EncoderLoraAdapter.load(adapters.resolve("a0"), config).bytes() / 1e6));
            Random random = new Random(7);
            long[][] ids = new long[ROWS][TOKENS];
            for (long[] row : ids) {
                for (int t = 0; t < TOKENS; t++) {
                    row[t] = 1000 + random.nextInt(config.vocab() - 1000);
                }
            }
            List<Encoded> bare = new ArrayList<>();
            for (long[] row : ids) {
                bare.add(new Encoded(row, TOKENS));
            }
            Map<String, List<Encoded>> cases = new LinkedHashMap<>();
            for (int distinct : new int[] {1, 8, 64}) {
                List<Encoded> rows = new ArrayList<>();
                for (int i = 0; i < ROWS; i++) {
                    rows.add(bare.get(i).withAdapter(1 + i % distinct));
                }
                cases.put(distinct + (distinct == 1 ? " adapter" : " distinct adapters"), rows);
            }
            double[][] rates = new double[cases.size() + 1][runs];
            for (int r = 0; r < runs; r++) {
                rates[0][r] = rate(passes, () -> runtime.embedder().run(bare));
                int c = 1;
                for (List<Encoded> rows : cases.values()) {
                    rates[c++][r] = rate(passes, () -> runtime.classifier().run(rows));
                }
            }
            double base = Stats.median(rates[0]);
            Stats.row("bare base (embedding pass, fused query/key/value)", Stats.range(rates[0], 1, "sentences/s"));
            int c = 1;
            for (String name : cases.keySet()) {
                double m = Stats.median(rates[c]);
                Stats.row(name + " in the pass", Stats.range(rates[c], 1, "sentences/s") + String.format(Locale.ROOT, " = %.0f %% below the bare base",
                        100 * (1 - m / base)));
                c++;
            }
        }
    }

    private static double rate(int passes, Runnable pass) {
        pass.run(); // warm
        long t = System.nanoTime();
        for (int p = 0; p < passes; p++) {
            pass.run();
        }
        return (double) passes * ROWS / ((System.nanoTime() - t) / 1e9);
    }

    /** A rank-8 adapter on query and value, with a four-label head and its pooler, random values, in PEFT's layout. */
    static void writeAdapter(EncoderConfig config, Path dir, long seed) throws Exception {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoraTrainable lora = LoraTrainable.init(config, new LoraTrainable.Options(8, 16, 0f, List.of("query", "value")), manager, seed);
            lora.parameters().values().forEach(p -> p.set(manager.randomNormal(0f, 0.02f, p.getShape(), p.getDataType()).toFloatArray()));
            int h = config.hidden();
            Map<String, NDArray> head = new LinkedHashMap<>();
            head.put("bert.pooler.dense.weight", manager.randomNormal(0f, 0.02f, new Shape(h, h), ai.djl.ndarray.types.DataType.FLOAT32));
            head.put("bert.pooler.dense.bias", manager.zeros(new Shape(h)));
            head.put("classifier.weight", manager.randomNormal(0f, 0.02f, new Shape(4, h), ai.djl.ndarray.types.DataType.FLOAT32));
            head.put("classifier.bias", manager.zeros(new Shape(4)));
            lora.save(dir, "bge-small-zh-v1.5", head, List.of("classifier", "pooler"));
            Files.writeString(dir.resolve("config.json"), ClassifierCheckpoint.labelled(new JsonObject(),
                    List.of("economy", "sports", "weather", "technology")).encodePrettily());
        }
    }
}
