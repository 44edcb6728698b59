package io.lmaas.gateway.inference;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.deployments.ReadyEndpoint;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Routing among a model's replicas: the least busy first, and an overloaded replica's request tried once elsewhere. */
class RoutingTest {
    private static Gateways gateways;
    private static StandInWorker slow;
    private static StandInWorker fast;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        slow = StandInWorker.start();
        fast = StandInWorker.start();
        gateways.model("routed", ModelTask.TEXT_CLASSIFICATION, null, slow.url(), fast.url());
        key = gateways.key(gateways.tenant("routing"));
        gateways.awaitModel("routed", key);
    }

    @AfterAll
    static void stop() throws Exception {
        slow.close();
        fast.close();
        gateways.close();
    }

    private List<HttpResponse<Buffer>> burst(int n) throws Exception {
        List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/classifications").bearerTokenAuthentication(key)
                    .sendJsonObject(new JsonObject().put("model", "routed").put("input", "a good day")));
        }
        Future.all(calls).await(60, TimeUnit.SECONDS);
        return calls.stream().map(Future::result).toList();
    }

    /** One client: requests one after another until {@code end}; completes with how many were not answered 200. */
    private Future<Integer> loop(long end, int failures) {
        if (System.nanoTime() > end) {
            return Future.succeededFuture(failures);
        }
        return gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/classifications").bearerTokenAuthentication(key)
                .sendJsonObject(new JsonObject().put("model", "routed").put("input", "a good day"))
                .compose(r -> loop(end, failures + (r.statusCode() == 200 ? 0 : 1)));
    }

    @Test
    void theReplicaWithFewestRequestsInFlightComesFirst() throws Exception {
        List<ReadyEndpoint> rotation = List.of(new ReadyEndpoint("m", "1", "d", 0, "http://a"),
                new ReadyEndpoint("m", "1", "d", 1, "http://b"), new ReadyEndpoint("m", "1", "d", 2, "http://c"));
        Map<String, Integer> busy = Map.of("http://a", 3, "http://b", 0, "http://c", 1);
        assertThat(WorkerClient.leastBusy(rotation, busy::get)).extracting(ReadyEndpoint::url)
                .containsExactly("http://b", "http://c", "http://a");
        Map<String, Integer> idle = Map.of("http://a", 0, "http://b", 0, "http://c", 0);
        assertThat(WorkerClient.leastBusy(rotation, idle::get)).as("ties keep the rotation").isEqualTo(rotation);

        // One replica answers in 1 s, the other at once; 8 clients send one request after another for 3 s. Round-robin
        // would give the slow one every other request of each client (about as many as the fast one); least busy sends it
        // a request only while it has none in flight.
        slow.delay(Duration.ofSeconds(1));
        int slowBefore = slow.calls();
        int fastBefore = fast.calls();
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        List<Future<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(loop(end, 0));
        }
        Future.all(clients).await(60, TimeUnit.SECONDS);
        clients.forEach(f -> assertThat(f.result()).as("non-200 answers").isZero());
        int toSlow = slow.calls() - slowBefore;
        int toFast = fast.calls() - fastBefore;
        assertThat(toSlow).as("requests to the slow replica, against %d to the fast one", toFast).isLessThan(toFast / 10);
        slow.delay(Duration.ZERO);
    }

    @Test
    void anOverloadedReplicasRequestIsTriedOnceOnAnother() throws Exception {
        slow.overloaded(true);
        try {
            assertThat(burst(10)).allSatisfy(r -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200));
            fast.overloaded(true);
            HttpResponse<Buffer> both = burst(1).get(0);
            assertThat(both.statusCode()).isEqualTo(503);
            assertThat(both.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("model_overloaded");
            assertThat(both.getHeader("retry-after")).isNotNull();
        } finally {
            slow.overloaded(false);
            fast.overloaded(false);
        }
    }

    @Test
    void anAnswerTheGatewayCannotReadIsTheWorkersFailure() throws Exception {
        slow.malformed(true);
        fast.malformed(true);
        try {
            HttpResponse<Buffer> r = burst(1).get(0);
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("worker_error");
            assertThat(r.bodyAsString()).doesNotContain("\"label\"");
        } finally {
            slow.malformed(false);
            fast.malformed(false);
        }
    }
}
