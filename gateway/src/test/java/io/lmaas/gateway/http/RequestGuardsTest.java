package io.lmaas.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.config.ConfigException;
import io.lmaas.core.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestGuardsTest {

    @Test
    void theFreeSpaceFloorIsAnOperatorsSettingInMebibytes() {
        assertThat(RequestGuards.minFreeBytes(Settings.of(Map.of()))).isEqualTo(1024L * 1024 * 1024);
        assertThat(RequestGuards.minFreeBytes(Settings.of(Map.of("min-free-mb", "0")))).isZero();
        assertThat(RequestGuards.minFreeBytes(Settings.of(Map.of("min-free-mb", "10240")))).isEqualTo(10L * 1024 * 1024 * 1024);
        assertThatThrownBy(() -> RequestGuards.minFreeBytes(Settings.of(Map.of("min-free-mb", "-1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("min-free-mb");
        assertThatThrownBy(() -> RequestGuards.minFreeBytes(Settings.of(Map.of("min-free-mb", "lots"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("min-free-mb");
    }

    @Test
    void aFloorReplacesOnlyTheFloor() {
        RequestGuards g = RequestGuards.DEFAULT.withMinFreeBytes(0);
        assertThat(g.minFreeBytes()).isZero();
        assertThat(g.headerTimeout()).isEqualTo(RequestGuards.DEFAULT.headerTimeout());
        assertThat(g.uploadTimeout()).isEqualTo(RequestGuards.DEFAULT.uploadTimeout());
        assertThatThrownBy(() -> RequestGuards.DEFAULT.withMinFreeBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
