package io.lmaas.gateway.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PeriodAndLimitsTest {

    @ParameterizedTest
    @CsvSource({
        "MINUTE, 2026-11-28T13:45:17.250Z, 2026-11-28T13:45:00Z, 2026-11-28T13:46:00Z",
        "DAY,    2026-11-28T23:59:59Z,     2026-11-28T00:00:00Z, 2026-11-29T00:00:00Z",
        "MONTH,  2026-12-31T10:00:00Z,     2026-12-01T00:00:00Z, 2027-01-01T00:00:00Z",
        "MONTH,  2028-02-29T10:00:00Z,     2028-02-01T00:00:00Z, 2028-03-01T00:00:00Z",
    })
    void windowsAreUtcCalendarUnits(Period p, String at, String start, String end) {
        assertThat(p.windowStart(Instant.parse(at))).isEqualTo(Instant.parse(start));
        assertThat(p.windowEnd(Instant.parse(at))).isEqualTo(Instant.parse(end));
    }

    @Test
    void limitsParseFromTheWireAndNameBadFields() {
        Limits l = Limits.parse(new JsonObject("{\"rpm\":60,\"tpm\":null,\"tokens_per_day\":1000}"), "limits");
        assertThat(l).isEqualTo(new Limits(60L, null, 1000L, null, null));
        assertThat(l.specs()).extracting(Limits.Spec::field).containsExactly("rpm", "tokens_per_day");
        assertThat(Limits.fromStored(l.toJson())).isEqualTo(l);
        assertThatThrownBy(() -> Limits.parse(new JsonObject("{\"rpm\":-1}"), "limits"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.param()).isEqualTo("limits.rpm"));
        assertThatThrownBy(() -> Limits.parse(new JsonObject("{\"rps\":1}"), "limits"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.param()).isEqualTo("limits.rps"));
        assertThatThrownBy(() -> Limits.parse(new JsonObject("{\"tpm\":1.5}"), "limits")).isInstanceOf(ApiException.class);
    }

    @ParameterizedTest
    @CsvSource({"250, 250ms", "1000, 1s", "59001, 1m0s", "3723000, 1h2m3s", "-5, 0ms"})
    void resetDurationsUseOpenAisFormat(long millis, String formatted) {
        assertThat(RateLimitInfo.format(Duration.ofMillis(millis))).isEqualTo(formatted);
    }
}
