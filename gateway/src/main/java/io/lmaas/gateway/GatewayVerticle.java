package io.lmaas.gateway;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.MasterKeys;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.metrics.ProcessMetrics;
import io.lmaas.gateway.admin.AdminService;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.ApiKeyAuthenticator;
import io.lmaas.gateway.auth.ApiKeyRepository;
import io.lmaas.gateway.auth.KeyHasher;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.changes.ChangeFeed;
import io.lmaas.gateway.files.RetentionSweeper;
import io.lmaas.gateway.identity.ConsoleTokenRules;
import io.lmaas.gateway.identity.ConsoleTokenVerifier;
import io.lmaas.gateway.identity.JwksCache;
import io.lmaas.gateway.identity.KeycloakDirectory;
import io.lmaas.gateway.identity.KeycloakSettings;
import io.lmaas.gateway.inference.AdapterPlacement;
import io.lmaas.gateway.inference.EndpointDirectory;
import io.lmaas.gateway.inference.InferenceService;
import io.lmaas.gateway.inference.WorkerClient;
import io.lmaas.gateway.models.ModelAdminService;
import io.lmaas.gateway.models.ModelValidator;
import io.lmaas.gateway.quota.QuotaRepository;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.usage.UsageRollup;
import io.lmaas.gateway.usage.LedgerWriter;
import io.lmaas.gateway.usage.UsageRepository;
import io.lmaas.gateway.usage.UsageService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway replica: builds the services its event loops share (keys, quotas, routing, change feed),
 * then runs {@link GatewayConfig#eventLoops()} HTTP verticles on one port. Stops gracefully: the HTTP
 * verticles finish their requests and drain their ledgers, then leases go back.
 */
public final class GatewayVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

    private final GatewayConfig config;
    private final Pool pool;
    private final ModelValidator validator;
    private final MasterKeys masterKeys;
    private Runnable keySource = () -> { };
    private final List<GatewayHttpVerticle> loops = new ArrayList<>();
    private EndpointDirectory directory;
    private AdapterPlacement placement;
    private WorkerClient workers;
    private QuotaService quota;
    private ChangeFeed changes;
    private LedgerWriter ledger;
    private JwksCache jwks;
    private UsageRollup rollup;
    private RetentionSweeper retention;
    private Optional<KeycloakDirectory> identity = Optional.empty();
    private String httpDeployment;

    public GatewayVerticle(GatewayConfig config, Pool pool) {
        this(config, pool, ModelValidator.UNAVAILABLE);
    }

    /** With the master keys of the environment, or else one random key for this JVM ({@link MasterKeys#processEphemeral}). */
    public GatewayVerticle(GatewayConfig config, Pool pool, ModelValidator validator) {
        this(config, pool, validator, MasterKeys.fromEnvironment(System.getenv()).orElseGet(MasterKeys::processEphemeral));
    }

    /** {@code masterKeys} wrap the tenants' data keys, with which their artifacts are sealed (docs/decisions/0022). */
    public GatewayVerticle(GatewayConfig config, Pool pool, ModelValidator validator, MasterKeys masterKeys) {
        this.config = config;
        this.pool = pool;
        this.validator = validator;
        this.masterKeys = masterKeys;
    }

    @Override
    public Future<?> start() {
        MeterRegistry metrics = ProcessMetrics.registry();
        Tags tags = Tags.of("gateway", config.gatewayId());
        QuotaRepository quotaRepository = new QuotaRepository(pool);
        quota = new QuotaService(vertx, quotaRepository, config.gatewayId(), Clock.systemUTC(), config.quota(), metrics, tags);
        KeyHasher hasher = new KeyHasher(config.keyHashSecret());
        ApiKeyAuthenticator authenticator = new ApiKeyAuthenticator(new ApiKeyRepository(pool), hasher, Clock.systemUTC(),
                config.keyCacheTtl());
        authenticator.bindMetrics(metrics, tags);
        directory = new EndpointDirectory(vertx, new ModelCatalogRepository(pool), new EndpointRepository(pool));
        workers = new WorkerClient(vertx, config.workerTimeout(), config.workerToken());
        placement = new AdapterPlacement(vertx, directory, workers);
        ledger = new LedgerWriter(pool, context, quota::flushed, metrics, tags);
        Optional<ConsoleTokenVerifier> console = config.keycloak().map(k -> {
            jwks = new JwksCache(vertx, k.jwksUrl());
            return new ConsoleTokenVerifier(jwks, new ConsoleTokenRules(k.issuer(), k.audience()), Clock.systemUTC());
        });
        identity = config.keycloak().filter(KeycloakSettings::canProvision).map(k -> new KeycloakDirectory(vertx, k));
        TenantKeys tenantKeys = new TenantKeys(pool, masterKeys);
        keySource = Artifacts.resolveWith(tenantKeys::byIdBlocking); // model files read off the event loop (info, copies)
        GatewayServices services = new GatewayServices(config, pool, authenticator,
                new AdminTokenAuthenticator(config.adminToken(), console), quota, ledger,
                new InferenceService(directory, workers, config.readyWait(), placement, tenantKeys), new UsageService(new UsageRepository(pool)),
                new AdminService(pool, quotaRepository, identity), new KeyService(pool, hasher),
                new ModelAdminService(vertx, pool, validator, config.artifacts(), placement), identity, tenantKeys, metrics, tags);
        changes = new ChangeFeed(vertx, Pools.connectOptions(config.database()), new ChangeFeed.Listeners(
                keyId -> {
                    authenticator.invalidate(keyId);
                    quota.keyChanged(keyId);
                },
                quota::tenantLimitsChanged,
                quota::reclaim,
                () -> {
                    authenticator.invalidateAll();
                    quota.invalidateAll();
                }));
        quota.start();
        rollup = new UsageRollup(vertx, pool);
        rollup.start(Duration.ofSeconds(2));
        config.artifacts().ifPresent(store -> {
            retention = new RetentionSweeper(vertx, pool, store.uploads(), config.guards().uploadTimeout());
            retention.start(Duration.ofMinutes(1));
        });
        return changes.start()
                .compose(v -> directory.start(config.routingRefresh()))
                .onSuccess(v -> placement.start(config.routingRefresh()))
                .compose(v -> vertx.deployVerticle(() -> {
                    GatewayHttpVerticle loop = new GatewayHttpVerticle(services);
                    synchronized (loops) {
                        loops.add(loop);
                    }
                    return loop;
                }, new DeploymentOptions().setInstances(config.eventLoops())))
                .onSuccess(id -> {
                    httpDeployment = id;
                    LOG.info("gateway {} listening on {}:{} ({} event loops)", config.gatewayId(), config.host(), port(),
                            config.eventLoops());
                });
    }

    /** The port the gateway listens on (useful with port 0). */
    public int port() {
        synchronized (loops) {
            return loops.get(0).port();
        }
    }

    /** The routes the gateway serves (every event loop has the same). */
    public io.vertx.ext.web.Router router() {
        synchronized (loops) {
            return loops.get(0).router();
        }
    }

    @Override
    public Future<?> stop() {
        if (jwks != null) {
            jwks.close();
        }
        if (rollup != null) {
            rollup.close();
        }
        if (retention != null) {
            retention.close();
        }
        identity.ifPresent(KeycloakDirectory::close);
        Future<?> http = httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment);
        return http
                .compose(v -> ledger.drain())
                .compose(v -> quota.releaseAll())
                .recover(e -> {
                    LOG.warn("gateway stop: {}", e.toString());
                    return Future.succeededFuture();
                })
                .onComplete(ar -> {
                    keySource.run();
                    quota.close();
                    directory.close();
                    placement.close();
                    workers.close();
                    changes.close();
                });
    }
}
