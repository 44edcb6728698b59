package io.lmaas.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.lmaas.worker.testing.TrainedStarters;
import org.junit.jupiter.api.Test;

/** The worker's device setting, resolved against the GPUs an engine sees, and a model placed on it. */
class ComputeDeviceTest {

    @Test
    void autoTakesTheFirstGpuWhenThereIsOneAndTheCpuOtherwise() {
        assertThat(ComputeDevice.resolve("auto", 0)).isEqualTo(Device.cpu());
        assertThat(ComputeDevice.resolve("auto", 2)).isEqualTo(Device.gpu(0));
        assertThat(ComputeDevice.resolve(null, 1)).isEqualTo(Device.gpu(0));
        assertThat(ComputeDevice.resolve("cpu", 4)).isEqualTo(Device.cpu());
    }

    @Test
    void aNamedGpuMustExist() {
        assertThat(ComputeDevice.resolve("gpu", 1)).isEqualTo(Device.gpu(0));
        assertThat(ComputeDevice.resolve("GPU:1", 2)).isEqualTo(Device.gpu(1));
        assertThat(ComputeDevice.resolve("cuda:1", 2)).isEqualTo(Device.gpu(1));
        assertThatThrownBy(() -> ComputeDevice.resolve("gpu:2", 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the engine sees 2 GPU(s)");
        assertThatThrownBy(() -> ComputeDevice.resolve("gpu", 0)).hasMessageContaining("CPU build");
    }

    @Test
    void malformedSettingsAreRefused() {
        for (String bad : new String[] {"tpu", "gpu:", "gpu:-1", "cpu:1", "auto:0", "gpu:1:2", ""}) {
            assertThatThrownBy(() -> ComputeDevice.resolve(bad, 8)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aModelLoadedOnTheCpuSaysSo() {
        ComputeDevice cpu = ComputeDevice.select("cpu");
        assertThat(cpu.label()).isEqualTo("cpu");
        assertThat(cpu.gpu()).isFalse();
        try (ModelRuntime runtime = ModelRuntime.load(TrainedStarters.classifier(), cpu)) {
            assertThat(runtime.describe().getString("device")).isEqualTo("cpu");
            assertThat(runtime.describe().getString("engine")).isEqualTo(cpu.engine()).startsWith("libtorch 2.");
        }
    }
}
