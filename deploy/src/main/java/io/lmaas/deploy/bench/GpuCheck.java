package io.lmaas.deploy.bench;

import static io.lmaas.deploy.bench.Stats.argmax;
import static io.lmaas.deploy.bench.Stats.median;
import static io.lmaas.deploy.bench.Stats.range;
import static io.lmaas.deploy.bench.Stats.row;

import io.lmaas.worker.runtime.ComputeDevice;
import io.lmaas.worker.runtime.DecodeBatch;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * {@code lmaas bench gpu} ({@code deploy/gpu-check.sh}): the Qwen2 0.5B-shape checkpoint of {@code bench decoder} loaded
 * twice in one process, on the CPU and on {@code --device} (default {@code gpu}). First the logits of both at prefill
 * and at every decode step of a continuous batch (rows of different prompt lengths fed the same tokens) must agree within
 * {@value #TOLERANCE}; then decode tokens/s on the device at 1, 16 and 64 streams. Exits non-zero if they disagree or the
 * device is not there. Run with {@code --device=cpu} it checks the CPU against itself (how the check itself is tested).
 */
public final class GpuCheck {
    static final double TOLERANCE = 1e-3;
    private static final int[] STREAMS = {1, 16, 64};

    private GpuCheck() {
    }

    /** Returns the process exit status: 0 when the device agrees with the CPU, 1 when it does not. */
    public static int run(Path models, Path tokenizer, String device, int runs, int newTokens) throws Exception {
        ComputeDevice target = ComputeDevice.select(device);
        // 64 streams of a 1,024-token context: 1.6 GB of key/value cache.
        Path dir = DecoderBenchmark.halfBCheckpoint(models, tokenizer, "max_model_len=1024\nbatch.max_size=64\n");
        System.out.printf(Locale.ROOT, "device %s (%s); median of %d runs [range]%n", target.label(), target.engine(), runs);
        double worst;
        try (GeneratorRuntime cpu = (GeneratorRuntime) ModelRuntime.load(dir, ComputeDevice.cpu());
                GeneratorRuntime other = (GeneratorRuntime) ModelRuntime.load(dir, target)) {
            worst = compare(cpu, other);
        }
        System.out.println();
        System.out.println("| | value |");
        System.out.println("|---|---|");
        row("largest |logit difference| " + target.label() + " vs cpu (prefill and 8 decode steps, 4 rows)",
                String.format(Locale.ROOT, "%.2e (tolerance %.0e: %s)", worst, TOLERANCE, worst <= TOLERANCE ? "agree" : "**DISAGREE**"));
        if (worst > TOLERANCE) {
            return 1;
        }
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir, target)) {
            double[][] rates = new double[STREAMS.length][runs];
            for (int r = 0; r < runs; r++) {
                for (int s = 0; s < STREAMS.length; s++) {
                    rates[s][r] = DecoderBenchmark.decode(runtime, STREAMS[s], newTokens, r);
                }
            }
            double one = median(rates[0]);
            for (int s = 0; s < STREAMS.length; s++) {
                row("decode on " + target.label() + ", " + STREAMS[s] + " stream(s) (aggregate)", range(rates[s], 1, "tokens/s")
                        + (s == 0 ? "" : String.format(Locale.ROOT, " = %.1f× one stream", median(rates[s]) / one)));
            }
        }
        return 0;
    }

    /** Greedy tokens of the CPU run fed to both, so the rows never diverge: the largest |difference| of any logit. */
    static double compare(GeneratorRuntime reference, GeneratorRuntime other) {
        Random random = new Random(7);
        int rows = 4;
        double worst = 0;
        try (DecodeBatch a = reference.newBatch(); DecodeBatch b = other.newBatch()) {
            long[] tokens = new long[rows];
            for (int i = 0; i < rows; i++) {
                long[] prompt = random.longs(5 + 9L * i, 1000, 30_000).toArray();
                KvCache ca = reference.newCache();
                KvCache cb = other.newCache();
                float[] la = reference.prefill(ca, prompt);
                worst = Math.max(worst, largestDifference(la, other.prefill(cb, prompt)));
                reference.join(a, ca);
                other.join(b, cb);
                tokens[i] = argmax(la);
            }
            for (int step = 0; step < 8; step++) {
                float[][] la = reference.step(a, tokens);
                float[][] lb = other.step(b, tokens);
                for (int i = 0; i < rows; i++) {
                    worst = Math.max(worst, largestDifference(la[i], lb[i]));
                    tokens[i] = argmax(la[i]);
                }
            }
        }
        return worst;
    }

    static double largestDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs((double) a[i] - b[i]));
        }
        return worst;
    }
}
