package io.lmaas.deploy.bench;

import static io.lmaas.deploy.bench.Stats.argmax;
import static io.lmaas.deploy.bench.Stats.median;
import static io.lmaas.deploy.bench.Stats.range;
import static io.lmaas.deploy.bench.Stats.row;

import io.lmaas.deploy.models.RandomDecoder;
import io.lmaas.worker.hf.lora.AdapterBank;
import io.lmaas.worker.hf.lora.LoraAdapter;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * {@code lmaas bench adapters}: LoRA adapters on the Qwen2 0.5B-shape checkpoint of {@code bench decoder} (random bf16
 * weights, served in float32): 64 decode streams in one batch with the bare base, and with 1, 8 and 64 distinct
 * adapters in flight (rank 16 on q_proj, v_proj and down_proj of every layer, random factors), aggregate tokens/s in
 * the same run; an adapter's cold load into the bank; its memory; workers for 100 fine-tuned models. Median of
 * {@code runs} runs with the range.
 */
public final class AdapterBenchmark {
    private static final int STREAMS = 64;
    private static final int RANK = 16;

    private AdapterBenchmark() {
    }

    public static void run(Path models, Path tokenizer, int runs, int newTokens) throws Exception {
        Path dir = DecoderBenchmark.halfBCheckpoint(models, tokenizer, "max_model_len=256\nbatch.max_size=64\nmax_loras=64\n");
        RandomDecoder.Shape shape = RandomDecoder.Shape.HALF_B;
        Path adapters = models.resolve("qwen2-0.5b-shape-adapters");
        for (int a = 0; a < STREAMS; a++) {
            if (!Files.isRegularFile(adapters.resolve("a" + a).resolve("adapter_model.safetensors"))) {
                RandomDecoder.writeAdapter(adapters.resolve("a" + a), shape, RANK, 1000 + a);
            }
        }
        System.out.printf(Locale.ROOT, "machine: %d cores; %d streams of %d-token decode after 16-token prompts; median of %d runs%n",
                Runtime.getRuntime().availableProcessors(), STREAMS, newTokens, runs);
        System.out.println();
        System.out.println("| | value |");
        System.out.println("|---|---|");
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir)) {
            AdapterBank bank = runtime.adapters();
            long[] loadNanos = new long[STREAMS];
            LoraAdapter first = null;
            for (int a = 0; a < STREAMS; a++) {
                long t = System.nanoTime();
                LoraAdapter adapter = LoraAdapter.load(adapters.resolve("a" + a), bank.base());
                bank.put(bank.freeSlot(), adapter);
                loadNanos[a] = System.nanoTime() - t;
                first = first == null ? adapter : first;
            }
            double[] load = Arrays.stream(loadNanos).mapToDouble(n -> n / 1e6).sorted().toArray();
            row("adapter cold load (read + checked + written into the bank), rank " + RANK, String.format(Locale.ROOT,
                    "median %.0f ms [%.0f–%.0f] over %d adapters (the first allocates the banks)", load[load.length / 2], load[0],
                    load[load.length - 1], STREAMS));
            row("memory per adapter (float32 factors)", String.format(Locale.ROOT, "%.1f MB (base weights: %.2f GB)",
                    first.bytes() / 1e6, runtime.describe().getLong("parameters") * 4 / 1e9));
            int[] distinct = {0, 1, 8, 64};
            double[][] rates = new double[distinct.length][runs];
            for (int r = 0; r < runs; r++) {
                for (int d = 0; d < distinct.length; d++) {
                    rates[d][r] = decode(runtime, distinct[d], newTokens, r);
                }
            }
            double base = median(rates[0]);
            row("bare base, " + STREAMS + " streams", range(rates[0], 1, "tokens/s"));
            for (int d = 1; d < distinct.length; d++) {
                double loss = 1 - median(rates[d]) / base;
                row(distinct[d] + " distinct adapter" + (distinct[d] == 1 ? "" : "s") + " in flight, " + STREAMS + " streams",
                        range(rates[d], 1, "tokens/s") + String.format(Locale.ROOT, " = %.0f%% below the bare base", loss * 100)
                                + (distinct[d] == 64 ? (loss <= 0.2 ? " (goal ≤ 20%: met)" : " (goal ≤ 20%: **not met**)") : ""));
            }
            row("workers for 100 fine-tuned models of one base", "before: 100 (one full copy each); now: 1 (adapters in its bank,"
                    + " max_loras of them resident, the rest loaded on use)");
        }
    }

    /** Aggregate tokens/s of {@link #STREAMS} rows; row i uses adapter slot {@code 1 + i % distinct} (none if distinct is 0). */
    private static double decode(GeneratorRuntime runtime, int distinct, int newTokens, int seed) {
        Random random = new Random(seed);
        try (DecodeBatch batch = runtime.newBatch()) {
            long[] tokens = new long[STREAMS];
            for (int s = 0; s < STREAMS; s++) {
                KvCache cache = runtime.newCache();
                float[] logits = runtime.prefill(cache, random.longs(16, 1000, 30_000).toArray(), distinct == 0 ? 0 : 1 + s % distinct);
                tokens[s] = argmax(logits);
                runtime.join(batch, cache);
            }
            long t = System.nanoTime();
            for (int i = 0; i < newTokens; i++) {
                float[][] logits = runtime.step(batch, tokens);
                for (int s = 0; s < STREAMS; s++) {
                    tokens[s] = argmax(logits[s]);
                }
            }
            return (double) STREAMS * newTokens / ((System.nanoTime() - t) / 1e9);
        }
    }

}
