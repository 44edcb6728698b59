package io.lmaas.gateway.inference;

import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.deployments.ReadyEndpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which replica holds which LoRA adapter, so a request for an adapter goes where it is already loaded. Every
 * {@code interval} it asks each ready replica of every base that has adapters for its {@code /health} (with the internal
 * token: the worker lists the adapters it holds), off the request path. Ordering is pure ({@link #order}): replicas that
 * hold the adapter first, in the rotation they came in; then the others by rendezvous hashing of (adapter, replica), so
 * that every gateway sends an adapter no replica holds to the same replica, and it is loaded once rather than on each.
 * A replica that does not answer counts as holding nothing. Thread-safe: the snapshot is one immutable map.
 */
public final class AdapterPlacement implements AutoCloseable {
    private final Vertx vertx;
    private final EndpointDirectory directory;
    private final WorkerClient workers;
    /** What one replica said it holds, and which of those it pins. */
    private record Holding(Set<String> adapters, Set<String> pinned) {
        static final Holding NONE = new Holding(Set.of(), Set.of());
    }

    /** By replica URL, from the last refresh: replaced whole, never changed in place. */
    private volatile Map<String, Holding> held = Map.of();
    private long timer = -1;

    public AdapterPlacement(Vertx vertx, EndpointDirectory directory, WorkerClient workers) {
        this.vertx = vertx;
        this.directory = directory;
        this.workers = workers;
    }

    public void start(Duration interval) {
        timer = vertx.setPeriodic(interval.toMillis(), id -> refresh());
    }

    /** One round of asking the bases' replicas what they hold; completes when every answer (or failure) is in. */
    public Future<Void> refresh() {
        RoutingTable table = directory.table();
        Set<String> bases = table.models().values().stream().filter(ModelRecord::adapter).map(ModelRecord::baseModelId)
                .collect(Collectors.toSet());
        List<ReadyEndpoint> asked = bases.stream().flatMap(b -> table.ready(b).stream()).toList();
        List<Future<JsonObject>> answers = asked.stream().map(e -> workers.health(e.url())).toList();
        return Future.join(answers).transform(ar -> {
            Map<String, Holding> next = new HashMap<>();
            for (int i = 0; i < asked.size(); i++) {
                JsonObject health = answers.get(i).succeeded() ? answers.get(i).result() : null;
                if (health != null && health.getValue("adapters") instanceof JsonArray adapters) {
                    next.put(asked.get(i).url(), new Holding(names(adapters),
                            names(health.getJsonArray("pinned_adapters", new JsonArray()))));
                }
            }
            held = Map.copyOf(next);
            return Future.succeededFuture();
        });
    }

    /** {@code candidates} (a base's ready replicas) in the order to try them for {@code adapter}. */
    public List<ReadyEndpoint> order(List<ReadyEndpoint> candidates, String adapter) {
        Map<String, Holding> now = held;
        return order(candidates, adapter, url -> now.getOrDefault(url, Holding.NONE).adapters());
    }

    private static Set<String> names(JsonArray names) {
        return names.stream().map(String::valueOf).collect(Collectors.toUnmodifiableSet());
    }

    /** The replicas that held {@code adapter} at the last refresh: {@code {"deployment_id", "replica", "pinned"}} each. */
    public JsonArray heldBy(String adapter) {
        JsonArray out = new JsonArray();
        RoutingTable table = directory.table();
        ModelRecord model = table.models().get(adapter);
        if (model == null || !model.adapter()) {
            return out;
        }
        Map<String, Holding> now = held;
        for (ReadyEndpoint e : table.ready(model.baseModelId())) {
            Holding h = now.getOrDefault(e.url(), Holding.NONE);
            if (h.adapters().contains(adapter)) {
                out.add(new JsonObject().put("deployment_id", e.deploymentId()).put("replica", e.replica())
                        .put("pinned", h.pinned().contains(adapter)));
            }
        }
        return out;
    }

    static List<ReadyEndpoint> order(List<ReadyEndpoint> candidates, String adapter,
            java.util.function.Function<String, Set<String>> heldAt) {
        List<ReadyEndpoint> holders = new ArrayList<>();
        List<ReadyEndpoint> others = new ArrayList<>();
        for (ReadyEndpoint e : candidates) {
            (heldAt.apply(e.url()).contains(adapter) ? holders : others).add(e);
        }
        others.sort(Comparator.comparingLong((ReadyEndpoint e) -> score(adapter, e.url())).reversed());
        holders.addAll(others);
        return holders;
    }

    /** Rendezvous (highest random weight) score of an adapter on a replica: FNV-1a 64 of both, mixed. */
    static long score(String adapter, String url) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (adapter + '\u0000' + url).getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
