package io.lmaas.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.deployments.EndpointState;
import io.lmaas.core.deployments.ObservedEndpoint;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.gateway.GatewayConfig;
import io.lmaas.gateway.GatewayVerticle;
import io.lmaas.gateway.quota.QuotaService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * N gateway instances, each on its own Vert.x instance with its own pool, on one fresh PostgreSQL
 * database, plus a client. Fixtures build tenants, keys, limits and models through the admin API.
 */
public final class Gateways implements AutoCloseable {
    public static final String ADMIN = "admin-token-for-tests-0123456789";
    public static final byte[] KEY_SECRET = "key-hash-secret-for-tests-0123456789".getBytes(StandardCharsets.UTF_8);
    /**
     * The product's bounds with no free-space floor: what a test expects of an upload cannot depend on how full the
     * machine's disk is (HostileRequestsTest sets a floor to test the 507).
     */
    private static final io.lmaas.gateway.http.RequestGuards GUARDS = io.lmaas.gateway.http.RequestGuards.DEFAULT.withMinFreeBytes(0);

    public final DatabaseUrl database;
    private final List<Vertx> instances = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<GatewayVerticle> verticles = new ArrayList<>();
    private final Vertx clientVertx = Vertx.vertx();
    public final WebClient http = WebClient.create(clientVertx, new WebClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(128));
    public final Pool pool;
    /** The artifact store every instance shares (files, registered versions). */
    public final java.nio.file.Path artifacts;

    private Gateways(DatabaseUrl database) {
        this.database = database;
        this.artifacts = io.lmaas.core.testing.TempDirs.create("lmaas-gw-artifacts-");
        this.pool = Pools.create(clientVertx, database, 4);
    }

    public static Gateways start(int count, QuotaService.Settings quota) throws Exception {
        Gateways g = new Gateways(TestDatabases.fresh());
        for (int i = 0; i < count; i++) {
            g.add(quota);
        }
        return g;
    }

    public int add(QuotaService.Settings quota) throws Exception {
        return add(quota, GUARDS);
    }

    /** Another gateway instance on the same database, with its own bounds on slow clients and free space. */
    public int add(QuotaService.Settings quota, io.lmaas.gateway.http.RequestGuards guards) throws Exception {
        return add(quota, guards, io.lmaas.core.crypto.MasterKeys.processEphemeral());
    }

    /** Another gateway instance on the same database, wrapping the tenants' data keys with {@code masterKeys}. */
    public int add(QuotaService.Settings quota, io.lmaas.core.crypto.MasterKeys masterKeys) throws Exception {
        return add(quota, GUARDS, masterKeys);
    }

    private int add(QuotaService.Settings quota, io.lmaas.gateway.http.RequestGuards guards, io.lmaas.core.crypto.MasterKeys masterKeys)
            throws Exception {
        Vertx vertx = Vertx.vertx();
        GatewayVerticle gateway = new GatewayVerticle(new GatewayConfig("gw-test-" + instances.size(), "127.0.0.1", 0, database,
                ADMIN, KEY_SECRET, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(30), 64 * 1024, quota, 2,
                Duration.ofMillis(300), java.util.Optional.of(new io.lmaas.core.artifacts.ArtifactStore(artifacts)), 4L * 1024 * 1024,
                java.util.Optional.empty()).withGuards(guards).withWorkerToken(StandInWorker.TOKEN),
                Pools.create(vertx, database, 8), io.lmaas.gateway.models.ModelValidator.UNAVAILABLE, masterKeys);
        vertx.deployVerticle(gateway).await(30, TimeUnit.SECONDS);
        instances.add(vertx);
        ports.add(gateway.port());
        verticles.add(gateway);
        return instances.size() - 1;
    }

    /** What is left in the artifact store's upload area (temporary upload files). */
    public List<java.nio.file.Path> uploadArea() throws java.io.IOException {
        java.nio.file.Path uploads = artifacts.resolve("uploads");
        if (!java.nio.file.Files.exists(uploads)) {
            return List.of();
        }
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(uploads)) {
            return s.toList();
        }
    }

    /** The routes instance {@code i} serves. */
    public io.vertx.ext.web.Router router(int instance) {
        return verticles.get(instance).router();
    }

    public int size() {
        return ports.size();
    }

    public Vertx clientVertx() {
        return clientVertx;
    }

    public int port(int instance) {
        return ports.get(instance);
    }

    public HttpResponse<Buffer> call(int instance, HttpMethod method, String path, String bearer, String body) throws Exception {
        HttpRequest<Buffer> req = http.request(method, ports.get(instance), "127.0.0.1", path);
        if (bearer != null) {
            req.bearerTokenAuthentication(bearer);
        }
        return (body == null ? req.send() : req.sendBuffer(Buffer.buffer(body))).await(30, TimeUnit.SECONDS);
    }

    public HttpResponse<Buffer> admin(HttpMethod method, String path, JsonObject body) throws Exception {
        return call(0, method, "/admin/v1" + path, ADMIN, body == null ? null : body.encode());
    }

    public String tenant(String name) throws Exception {
        HttpResponse<Buffer> r = admin(HttpMethod.POST, "/tenants", new JsonObject().put("name", name));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
        return r.bodyAsJsonObject().getString("id");
    }

    public JsonObject key(String tenantId, JsonObject spec) throws Exception {
        HttpResponse<Buffer> r = admin(HttpMethod.POST, "/tenants/" + tenantId + "/keys", spec.copy().put("name",
                spec.getString("name", "k")));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
        return r.bodyAsJsonObject();
    }

    public String key(String tenantId) throws Exception {
        return key(tenantId, new JsonObject()).getString("key");
    }

    public void limits(String tenantId, JsonObject limits) throws Exception {
        HttpResponse<Buffer> r = admin(HttpMethod.PUT, "/tenants/" + tenantId + "/limits", limits);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    }

    /** Registers a public model served by the given worker URLs, as the scheduler would publish it. */
    public void model(String id, ModelTask task, String owner, String... urls) throws Exception {
        new ModelCatalogRepository(pool).register(new ModelRecord(id, task, owner, null, null), "1", "file:///m/" + id)
                .await(10, TimeUnit.SECONDS);
        String dep = new DeploymentRepository(pool).ensure(id, "1", urls.length).await(10, TimeUnit.SECONDS);
        List<ObservedEndpoint> all = new ArrayList<>(new EndpointRepository(pool).listAll().await(10, TimeUnit.SECONDS));
        for (int i = 0; i < urls.length; i++) {
            all.add(new ObservedEndpoint(dep, i, EndpointState.READY, urls[i], null, 0, null));
        }
        new EndpointRepository(pool).replaceAll(all).await(10, TimeUnit.SECONDS);
    }

    /** Waits until every instance routes to the model. */
    public void awaitModel(String model, String key) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (int i = 0; i < size(); i++) {
                if (call(i, HttpMethod.GET, "/v1/models/" + model, key, null).statusCode() != 200) {
                    return false;
                }
            }
            return true;
        });
    }

    @Override
    public void close() throws Exception {
        for (Vertx v : instances) {
            v.close().await(30, TimeUnit.SECONDS);
        }
        clientVertx.close().await(10, TimeUnit.SECONDS);
        io.lmaas.core.testing.TempDirs.delete(artifacts);
    }
}
