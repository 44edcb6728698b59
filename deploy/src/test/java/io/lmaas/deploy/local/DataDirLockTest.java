package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.config.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {
    @Test
    void aSecondStartOnADirectoryInUseIsToldSoAndTheDirectoryIsFreeAgainAfterwards(@TempDir Path dir) throws Exception {
        try (DataDirLock first = DataDirLock.acquire(dir)) {
            assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("is in use by another lmaas up").hasMessageContaining("pid " + ProcessHandle.current().pid());
        }
        DataDirLock.acquire(dir).close();
        assertThat(dir.resolve("lmaas.lock")).exists();
    }
}
