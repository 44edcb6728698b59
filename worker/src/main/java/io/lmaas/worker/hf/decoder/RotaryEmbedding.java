package io.lmaas.worker.hf.decoder;

/**
 * Rotary position embedding tables as Hugging Face computes them ({@code modeling_rope_utils.py}): inverse frequencies
 * {@code 1 / theta^(2i/d)}, rescaled for {@code linear} (positions divided by the factor) or {@code llama3} (low
 * frequencies divided by the factor, a smooth blend between), then {@code cos}/{@code sin} of position × frequency,
 * each frequency written twice (the halves {@code rotate_half} pairs). Pure.
 */
public final class RotaryEmbedding {
    private RotaryEmbedding() {
    }

    /** The inverse frequencies (headDim / 2 of them), scaled as {@code rope} says. */
    public static double[] inverseFrequencies(DecoderConfig.Rope rope, int headDim) {
        int half = headDim / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            // Computed in float64 from float32 exponents, as torch: arange(0, dim, 2).float() / dim.
            inv[i] = 1.0 / Math.pow(rope.theta(), (double) (float) ((2.0 * i) / headDim));
        }
        switch (rope.type()) {
            case "linear" -> {
                for (int i = 0; i < half; i++) {
                    inv[i] /= rope.factor();
                }
            }
            case "llama3" -> {
                double lowWavelen = rope.originalMaxPositions() / rope.lowFreqFactor();
                double highWavelen = rope.originalMaxPositions() / rope.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    double scaled = wavelen > lowWavelen ? inv[i] / rope.factor() : inv[i];
                    boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
                    if (medium) {
                        double smooth = (rope.originalMaxPositions() / wavelen - rope.lowFreqFactor())
                                / (rope.highFreqFactor() - rope.lowFreqFactor());
                        scaled = (1 - smooth) * scaled / rope.factor() + smooth * scaled;
                    }
                    inv[i] = scaled;
                }
            }
            default -> {
            }
        }
        return inv;
    }

    /** {@code cos} (index 0) and {@code sin} (index 1) tables, each positions × headDim, row-major. */
    public static float[][] tables(DecoderConfig.Rope rope, int headDim, int positions) {
        double[] inv = inverseFrequencies(rope, headDim);
        float[] invF = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            invF[i] = (float) inv[i];
        }
        int half = headDim / 2;
        float[] cos = new float[positions * headDim];
        float[] sin = new float[positions * headDim];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invF[i]; // float32 product, as the reference computes it
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * headDim + i] = c;
                cos[p * headDim + half + i] = c;
                sin[p * headDim + i] = s;
                sin[p * headDim + half + i] = s;
            }
        }
        return new float[][] {cos, sin};
    }
}
