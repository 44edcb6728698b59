package io.lmaas.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArgsTest {

    @Test
    void wordsAndBothFlagForms() {
        Args a = Args.parse(new String[] {"worker", "serve", "--model-dir", "/m", "--port=0", "--verbose"});
        assertThat(a.words()).isEqualTo(List.of("worker", "serve"));
        assertThat(a.flags()).isEqualTo(Map.of("model-dir", "/m", "port", "0", "verbose", "true"));
    }

    @Test
    void helpAnywhereAsksForTheUsage() {
        assertThat(Args.parse(new String[] {"bench", "--help"}).wantsHelp()).isTrue();
        assertThat(Args.parse(new String[] {"worker", "serve", "-h"}).wantsHelp()).isTrue();
        assertThat(Args.parse(new String[] {"help"}).wantsHelp()).isTrue();
        assertThat(Args.parse(new String[] {"bench"}).wantsHelp()).isFalse();
        assertThat(Args.parse(new String[] {"worker", "serve", "--model-dir", "/m"}).wantsHelp()).isFalse();
    }
}
