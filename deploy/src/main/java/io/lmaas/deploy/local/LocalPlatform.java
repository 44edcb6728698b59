package io.lmaas.deploy.local;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.db.DatabaseUrl;
import io.lmaas.core.db.EmbeddedDatabase;
import io.lmaas.core.db.Migrations;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.ids.Ids;
import io.lmaas.core.secrets.Secrets;
import io.lmaas.core.crypto.MasterKeys;
import io.lmaas.core.crypto.ModelKeys;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.deploy.ProcessModelValidator;
import io.lmaas.gateway.GatewayConfig;
import io.lmaas.gateway.GatewayVerticle;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.scheduler.local.LocalBackendConfig;
import io.lmaas.scheduler.local.LocalJobRunner;
import io.lmaas.scheduler.local.LocalScheduler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode: every role in one process, workers as child processes. Starts PostgreSQL (embedded unless
 * a URL is given; it requires its generated password), migrates the schema, starts the gateway and the
 * scheduler's local backend, and prepares the starter models in the background. The workers' internal token
 * is new at every start: the gateway and the local backend get it in memory, each worker process in its
 * environment, and {@code <data-dir>/secrets/worker-token} (mode 600) keeps it for tools that call a worker.
 */
public final class LocalPlatform implements AutoCloseable {
    private LocalScheduler scheduler;
    private static final Logger LOG = LoggerFactory.getLogger(LocalPlatform.class);
    public static final String MAIN_CLASS = "io.lmaas.deploy.Main";

    private final PlatformConfig config;
    private DataDirLock lock;
    private EmbeddedDatabase embedded;
    private DatabaseSupervisor supervisor;
    private Vertx vertx;
    private Pool pool;
    private GatewayVerticle gateway;
    private final Deque<String> deployments = new ArrayDeque<>();
    private Future<Void> starters = Future.succeededFuture();

    private volatile DatabaseUrl databaseUrl;

    private LocalPlatform(PlatformConfig config) {
        this.config = config;
    }

    /** Starts everything but the starter models, which are prepared in the background (see {@link #starters()}). */
    public static LocalPlatform start(PlatformConfig config) throws Exception {
        LocalPlatform p = new LocalPlatform(config);
        try {
            p.startAll();
            return p;
        } catch (Exception | Error e) {
            p.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        Files.createDirectories(config.dataDir());
        lock = DataDirLock.acquire(config.dataDir()); // before anything in it is touched
        String adminToken = Secrets.readOrCreate(config.dataDir().resolve("admin-token"), 32);
        byte[] keyHashSecret = Secrets.readOrCreate(config.dataDir().resolve("secrets").resolve("key-hash-secret"), 32)
                .getBytes(StandardCharsets.UTF_8);
        String workerToken = WorkerToken.generate();
        Secrets.write(workerTokenFile(), workerToken);

        DatabaseUrl url;
        if (config.databaseUrl().isPresent()) {
            url = DatabaseUrl.parse(config.databaseUrl().get());
        } else {
            embedded = EmbeddedDatabase.start(config.dataDir().resolve("postgres"));
            embedded.closedByOwner(); // stopped last, by close()
            url = embedded.url();
            supervisor = DatabaseSupervisor.start(embedded, Duration.ofSeconds(1));
            if (ProcessHandle.current().pid() == 1) {
                LOG.warn("running as PID 1: a process this JVM did not start itself is never reaped here, so an embedded"
                        + " PostgreSQL that dies cannot be started again (it stays a zombie over its lock file); run under an"
                        + " init that reaps orphans (docker run --init, tini; the LMaaS image has one)");
            }
        }
        LOG.info("database {}", url);
        databaseUrl = url;
        Migrations.migrate(url);

        vertx = io.lmaas.deploy.VertxInstances.create();
        pool = Pools.create(vertx, url, 16);

        GatewayConfig gatewayConfig = new GatewayConfig("gw-" + Ids.random(8), config.host(), config.port(), url, adminToken,
                keyHashSecret, Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(120), config.maxBodyBytes(),
                QuotaService.Settings.DEFAULT, GatewayConfig.defaultEventLoops(),
                GatewayConfig.DEFAULT_READY_WAIT, Optional.of(new ArtifactStore(config.artifacts())), config.maxFileBytes(),
                config.keycloak()).withWorkerToken(workerToken)
                .withGuards(io.lmaas.gateway.http.RequestGuards.DEFAULT.withMinFreeBytes(config.minFreeBytes()));
        // Encryption at rest: the operator's master key, or local mode's own in the data directory (mode 600).
        MasterKeys masterKeys = MasterKeys.fromEnvironmentOrLocal(System.getenv(), config.dataDir());
        gateway = new GatewayVerticle(gatewayConfig, pool, new ProcessModelValidator(vertx, config.javaBinary(),
                config.classpath()), masterKeys);
        deployments.push(await(vertx.deployVerticle(gateway)));

        Map<String, String> workerEnvironment = new HashMap<>(LocalBackendConfig.WORKER_ENVIRONMENT);
        workerEnvironment.put(WorkerToken.ENV, workerToken);
        if (MasterKeys.fromEnvironment(System.getenv()).isEmpty()) {
            // Workers and jobs read the key from its file (never the key itself in their environment or command line).
            workerEnvironment.put(MasterKeys.FILE_ENV, config.dataDir().resolve(MasterKeys.LOCAL_FILE).toString());
        }
        LocalBackendConfig workers = new LocalBackendConfig(config.javaBinary(), config.classpath(), MAIN_CLASS,
                config.workerJvmOptions(), workerEnvironment, config.dataDir().resolve("run"),
                config.logs(), 1, Duration.ofMillis(500), Duration.ofSeconds(30));
        scheduler = new LocalScheduler(vertx, pool, workers, url, config.artifacts(), config.batchWorkerLinger(),
                config.batchStandbyModel().orElse(null), ModelKeys.from(new TenantKeys(pool, masterKeys)));
        scheduler.start();
        DeploymentRepository deployments = new DeploymentRepository(pool);

        if (!config.starters() && !config.realModels()) {
            return;
        }
        starters = new StarterBootstrap(vertx, config, workers, new ArtifactStore(config.artifacts()),
                new ModelCatalogRepository(pool), deployments).run()
                .onFailure(e -> LOG.error("starter models are not available: {}", e.getMessage()));
    }

    /** The platform's database (for operators' tools and tests). */
    public DatabaseUrl databaseUrl() {
        return databaseUrl;
    }

    public int port() {
        return gateway.port();
    }

    /** Runs fine-tuning jobs as worker processes on this machine. */
    public LocalJobRunner jobs() {
        return scheduler.jobs();
    }

    public String url() {
        String host = "0.0.0.0".equals(config.host()) ? "127.0.0.1" : config.host();
        return "http://" + host + ":" + port();
    }

    public Path adminTokenFile() {
        return config.dataDir().resolve("admin-token");
    }

    /** This run's internal worker token (mode 600): what a direct call to a worker must carry. */
    public Path workerTokenFile() {
        return config.dataDir().resolve("secrets").resolve("worker-token");
    }

    /** Completes when the starter models are trained (if needed), registered and deployed. */
    public Future<Void> starters() {
        return starters;
    }

    /** Stops the roles in reverse order (scheduler first: it stops the workers), then the pool, Vert.x, PostgreSQL. */
    @Override
    public void close() {
        if (supervisor != null) {
            supervisor.close(); // first: nothing starts PostgreSQL again while the platform stops
        }
        if (scheduler != null) {
            scheduler.close(); // first: it stops the workers and the jobs
        }
        if (vertx != null) {
            try {
                while (!deployments.isEmpty()) {
                    vertx.undeploy(deployments.pop()).await(30, TimeUnit.SECONDS);
                }
                if (pool != null) {
                    pool.close().await(10, TimeUnit.SECONDS);
                }
                vertx.close().await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("shutdown: {}", e.toString());
            }
        }
        if (embedded != null) {
            embedded.close();
        }
        if (lock != null) {
            lock.close();
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.await(120, TimeUnit.SECONDS);
    }
}
