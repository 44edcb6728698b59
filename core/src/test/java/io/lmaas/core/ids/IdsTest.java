package io.lmaas.core.ids;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdsTest {
    @Test
    void requestIdsKeepTheirShapeAndSortByTheMillisecondTheyWereMadeIn() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(Ids.request());
            Thread.sleep(2); // a later millisecond each
        }
        ids.forEach(id -> assertThat(id).matches("req-[a-km-np-z2-9]{20}"));
        assertThat(Ids.batchRequest()).matches("batch_req_[a-km-np-z2-9]{20}");
        assertThat(ids).isSorted();
        // The clock part (9 characters) of a later id is greater byte-wise; the rest is random.
        assertThat(ids.get(4).substring(4, 13)).isGreaterThan(ids.get(0).substring(4, 13));

        HashSet<String> many = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            many.add(Ids.timeOrdered());
        }
        assertThat(many).hasSize(100_000);
    }

    @Test
    void theClockPartReadsBackAsTheMillisecondsOfItsMaking() {
        long before = System.currentTimeMillis();
        String id = Ids.timeOrdered();
        long after = System.currentTimeMillis();
        long ms = 0;
        for (char c : id.substring(0, 9).toCharArray()) {
            ms = ms * 32 + "23456789abcdefghijkmnpqrstuvwxyz".indexOf(c);
        }
        assertThat(ms).isBetween(before, after);
    }
}
