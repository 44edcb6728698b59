package io.lmaas.scheduler.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {

    @ParameterizedTest
    @CsvSource({"0,0", "1,1", "2,2", "3,4", "5,16", "6,30", "40,30", "-1,0"})
    void doublesFromOneSecondUpToTheCap(int failures, long seconds) {
        assertThat(Backoff.after(failures, Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(seconds));
    }
}
