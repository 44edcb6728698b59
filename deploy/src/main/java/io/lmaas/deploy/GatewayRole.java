package io.lmaas.deploy;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.config.Settings;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.ids.Ids;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.gateway.GatewayConfig;
import io.lmaas.gateway.http.RequestGuards;
import io.lmaas.gateway.identity.KeycloakSettings;
import io.lmaas.gateway.GatewayVerticle;
import io.lmaas.gateway.quota.QuotaService;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lmaas gateway}: one gateway replica on a shared PostgreSQL (the Kubernetes shape; any number
 * of them may run). Secrets come from the environment ({@code LMAAS_ADMIN_TOKEN},
 * {@code LMAAS_KEY_HASH_SECRET}) or flags, and the workers' internal token from the environment only
 * ({@code LMAAS_WORKER_TOKEN}, required); SIGTERM stops it gracefully.
 */
final class GatewayRole {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayRole.class);

    private GatewayRole() {
    }

    static GatewayConfig config(Settings s) {
        QuotaService.Settings q = QuotaService.Settings.DEFAULT;
        Duration ttl = s.millis("lease-ttl-ms", q.leaseTtl().toMillis());
        return new GatewayConfig(
                s.string("gateway-id", "gw-" + Ids.random(8)),
                s.string("host", "0.0.0.0"),
                s.integer("port", 8080, 0, 65535),
                DatabaseUrl.parse(s.required("database-url")),
                s.required("admin-token"),
                s.required("key-hash-secret").getBytes(StandardCharsets.UTF_8),
                s.millis("routing-refresh-ms", 500),
                s.millis("key-cache-ttl-ms", 5000),
                s.millis("worker-timeout-ms", 120_000),
                s.integer("max-body-bytes", GatewayConfig.DEFAULT_BODY_LIMIT, 1024, 1024 * 1024 * 1024),
                new QuotaService.Settings(ttl, ttl.dividedBy(3), q.idleRelease(), q.sliceDivisor(), q.reclaimWait()),
                s.integer("event-loops", GatewayConfig.defaultEventLoops(), 1, 256),
                s.millis("ready-wait-ms", GatewayConfig.DEFAULT_READY_WAIT.toMillis()),
                s.optional("artifacts").map(p -> new ArtifactStore(java.nio.file.Path.of(p))),
                s.integer("max-file-mb", (int) (GatewayConfig.DEFAULT_FILE_LIMIT >> 20), 1, 1 << 20) * 1024L * 1024L,
                KeycloakSettings.from(s)).withWorkerToken(WorkerToken.from(s))
                .withGuards(RequestGuards.DEFAULT.withMinFreeBytes(RequestGuards.minFreeBytes(s)));
    }

    /**
     * The operator's master keys ({@code LMAAS_MASTER_KEY} or {@code LMAAS_MASTER_KEY_FILE}); a gateway that stores
     * tenants' files needs them, one that does not (no artifact store) gets a key of its own that nothing outlives.
     */
    static io.lmaas.core.crypto.MasterKeys masterKeys(GatewayConfig config) {
        return io.lmaas.core.crypto.MasterKeys.fromEnvironment(System.getenv()).orElseGet(() -> {
            if (config.artifacts().isPresent()) {
                throw new io.lmaas.core.config.ConfigException("the gateway seals tenants' artifacts: set "
                        + io.lmaas.core.crypto.MasterKeys.ENV + " (32 bytes, base64) or " + io.lmaas.core.crypto.MasterKeys.FILE_ENV);
            }
            return io.lmaas.core.crypto.MasterKeys.processEphemeral();
        });
    }

    static void run(Settings s) throws Exception {
        GatewayConfig config = config(s);
        if (s.bool("migrate", false)) {
            Migrations.migrate(config.database());
        }
        Vertx vertx = VertxInstances.create();
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            Pool pool = Pools.create(vertx, config.database(), s.integer("pool-size", 16, 1, 512));
            GatewayVerticle gateway = new GatewayVerticle(config, pool, new ProcessModelValidator(vertx,
                    Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path")), masterKeys(config));
            String id = vertx.deployVerticle(gateway).await(60, TimeUnit.SECONDS);
            System.out.println("LMaaS gateway " + config.gatewayId() + ": http://" + config.host() + ":" + gateway.port());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    vertx.undeploy(id).await(30, TimeUnit.SECONDS);
                    vertx.close().await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.warn("gateway shutdown: {}", e.toString());
                } finally {
                    stopped.countDown();
                }
            }, "gateway-shutdown"));
        } catch (Exception e) {
            vertx.close();
            throw e;
        }
        stopped.await();
    }
}
