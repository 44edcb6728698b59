package io.lmaas.deploy.bench;

import ai.djl.ndarray.NDManager;
import io.lmaas.deploy.local.RealModels;
import io.lmaas.worker.explain.IntegratedGradients;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.encoder.EncoderTokenizer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code lmaas bench explain}: what an explanation costs on a classifier of bge-small-zh-v1.5's size — the real
 * bge-small-zh-v1.5 encoder (converted from langchain4j's ONNX export, as {@code lmaas up} does) with a new
 * four-label head (random: the cost does not depend on what the head learned). For inputs of about 16, 64 and 128
 * tokens: one classification (a forward pass) and an explanation at 32 and 64 steps (integrated gradients: a forward
 * and a backward pass per step, in passes of at most 1,024 scaled tokens), each timed {@code runs} times after one
 * warm-up; median [range], and tokens × steps per second.
 */
public final class ExplanationBenchmark {
    private ExplanationBenchmark() {
    }

    public static void run(Path models, int runs) throws Exception {
        RealModels.RealModel model = RealModels.MODELS.stream().filter(m -> m.id().equals("bge-small-zh-v1.5")).findFirst()
                .orElseThrow();
        Path dir = models.resolve(model.id());
        RealModels.ensure(model, dir);
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(dir.resolve("config.json"))));
        System.out.printf(Locale.ROOT, "machine: %d cores; %s: hidden %d, %d layers; %d runs each%n",
                Runtime.getRuntime().availableProcessors(), model.id(), config.hidden(), config.layers(), runs);
        System.out.println();
        System.out.println("| input | classification (1 forward) | explanation, 32 steps | explanation, 64 steps | tokens × steps / s (64 steps) |");
        System.out.println("|---|---|---|---|---|");
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                EncoderTokenizer tokenizer = EncoderTokenizer.load(dir, 512, config.vocab())) {
            HfWeights weights = HfWeights.load(dir, manager);
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, weights, manager);
            encoder.newHead(List.of("economy", "sports", "weather", "technology"), weights);
            String sentence = "央行宣布降息，股市随之上涨，分析人士认为经济复苏的势头正在增强。";
            for (int target : new int[] {16, 64, 128}) {
                StringBuilder text = new StringBuilder(sentence);
                while (tokenizer.encode(text.toString(), false).tokens() < target) {
                    text.append(sentence);
                }
                long[] ids = tokenizer.encode(text.toString(), true).ids();
                long[] cut = java.util.Arrays.copyOf(ids, Math.min(ids.length, target));
                double[] forward = time(runs, () -> {
                    try (NDManager request = manager.newSubManager()) {
                        encoder.logits(encoder.hiddenStates(request, new long[][] {cut}, null)).toFloatArray();
                    }
                });
                double[] at32 = time(runs, () -> IntegratedGradients.explain(encoder, manager, cut, null, 32));
                double[] at64 = time(runs, () -> IntegratedGradients.explain(encoder, manager, cut, null, 64));
                System.out.printf(Locale.ROOT, "| %d tokens | %s | %s | %s | %,.0f |%n", cut.length, Stats.range(forward, 1e3, "ms"),
                        Stats.range(at32, 1e3, "ms"), Stats.range(at64, 1e3, "ms"), cut.length * 64 / Stats.median(at64));
            }
        }
    }

    private static double[] time(int runs, Runnable work) {
        work.run(); // warm-up
        double[] seconds = new double[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            work.run();
            seconds[r] = (System.nanoTime() - start) / 1e9;
        }
        return seconds;
    }
}
