package io.lmaas.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;

/** Reference logits as the Python fixture scripts write them, and the comparison the fidelity tests make. */
public final class Logits {
    private Logits() {
    }

    /** The logits of {@code sequence} at {@code position} from a {@code [sequence][position][vocab]} array. */
    public static float[] row(JsonArray logits, int sequence, int position) {
        JsonArray r = logits.getJsonArray(sequence).getJsonArray(position);
        float[] out = new float[r.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = r.getFloat(i);
        }
        return out;
    }

    /** Same length, and no element further than {@code tolerance} from the reference. */
    public static void assertClose(float[] actual, float[] expected, float tolerance, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        double worst = 0;
        for (int j = 0; j < actual.length; j++) {
            worst = Math.max(worst, Math.abs(actual[j] - expected[j]));
        }
        assertThat(worst).as("%s: largest absolute difference from the reference", what).isLessThanOrEqualTo(tolerance);
    }
}
