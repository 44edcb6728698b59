package io.lmaas.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OverviewSeriesTest {
    @Test
    void everyHourIsPresentAndLatencyIsWeightedByRequests() {
        JsonObject o = OverviewSeries.of(0, 4 * 3600, Map.of(
                3600L, new OverviewSeries.Hour(3, 1, 30, 0, 30, 20),
                3L * 3600, new OverviewSeries.Hour(1, 0, 5, 7, 50, 50)));
        assertThat(o.getJsonArray("series")).hasSize(4);
        assertThat(o.getJsonArray("series").getJsonObject(0)).isEqualTo(new JsonObject().put("t", 0L).put("requests", 0L)
                .put("errors", 0L).put("prompt_tokens", 0L).put("completion_tokens", 0L).put("latency_ms_avg", 0.0).put("latency_ms_max", 0));
        assertThat(o.getJsonArray("series").getJsonObject(1).getDouble("latency_ms_avg")).isEqualTo(10.0);
        assertThat(o.getJsonObject("totals")).isEqualTo(new JsonObject().put("requests", 4L).put("errors", 1L)
                .put("prompt_tokens", 35L).put("completion_tokens", 7L).put("latency_ms_avg", 20.0));
    }
}
