package io.lmaas.gateway;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.gateway.admin.AdminRoutes;
import io.lmaas.gateway.admin.AdminService;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.ApiKeyAuthenticator;
import io.lmaas.gateway.auth.ApiKeyRepository;
import io.lmaas.gateway.auth.KeyHasher;
import io.lmaas.gateway.auth.KeyService;
import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.changes.ChangeFeed;
import io.lmaas.gateway.health.HealthRoutes;
import io.lmaas.gateway.http.ErrorHandler;
import io.lmaas.gateway.http.RequestIdHandler;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.inference.EndpointDirectory;
import io.lmaas.gateway.inference.InferenceRoutes;
import io.lmaas.gateway.inference.InferenceService;
import io.lmaas.gateway.inference.WorkerClient;
import io.lmaas.gateway.quota.QuotaRepository;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.usage.LedgerWriter;
import io.lmaas.gateway.usage.Metering;
import io.lmaas.gateway.usage.UsageRepository;
import io.lmaas.gateway.usage.UsageRoutes;
import io.lmaas.gateway.usage.UsageService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: tenant API under {@code /v1} (API key → scope → metering → quota → inference), admin API
 * under {@code /admin/v1}, console at {@code /console/}, health under {@code /health}. One failure
 * handler renders every error. Stops gracefully: no new requests, in-flight ones finish and are metered,
 * the ledger drains, leases go back.
 */
public final class GatewayVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

    private final GatewayConfig config;
    private final Pool pool;
    private EndpointDirectory directory;
    private WorkerClient workers;
    private QuotaService quota;
    private LedgerWriter ledger;
    private ChangeFeed changes;
    private HttpServer server;

    public GatewayVerticle(GatewayConfig config, Pool pool) {
        this.config = config;
        this.pool = pool;
    }

    @Override
    public Future<?> start() {
        QuotaRepository quotaRepository = new QuotaRepository(pool);
        quota = new QuotaService(vertx, quotaRepository, config.gatewayId(), Clock.systemUTC(), config.quota());
        ledger = new LedgerWriter(pool, context, quota::flushed);
        Metering metering = new Metering(ledger, config.gatewayId());
        Responder responder = new Responder(metering::finish);
        KeyHasher hasher = new KeyHasher(config.keyHashSecret());
        ApiKeyAuthenticator authenticator = new ApiKeyAuthenticator(new ApiKeyRepository(pool), hasher, Clock.systemUTC(),
                config.keyCacheTtl());
        UsageService usage = new UsageService(new UsageRepository(pool));
        directory = new EndpointDirectory(vertx, new ModelCatalogRepository(pool), new EndpointRepository(pool));
        workers = new WorkerClient(vertx, config.workerTimeout());
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

        Router root = Router.router(vertx);
        root.route().handler(new RequestIdHandler());
        root.route().handler(BodyHandler.create(false).setBodyLimit(config.bodyLimitBytes()));
        root.route("/health/*").subRouter(new HealthRoutes(pool).router(vertx));
        root.route("/v1/*").handler(authenticator).handler(metering.begin()).handler(new ScopeHandler());
        Router v1 = Router.router(vertx);
        new InferenceRoutes(new InferenceService(directory, workers), quota, responder).addTo(v1);
        new UsageRoutes(usage, responder).addTo(v1);
        root.route("/v1/*").subRouter(v1);
        root.route("/admin/v1/*").subRouter(new AdminRoutes(new AdminService(pool, quotaRepository),
                new KeyService(pool, hasher), usage, responder, new AdminTokenAuthenticator(config.adminToken())).router(vertx));
        root.get("/console").handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                ctx.next();
            } else {
                ctx.redirect("/console/");
            }
        });
        root.route("/console/*").handler(StaticHandler.create("lmaas-console").setCachingEnabled(false));
        ErrorHandler errors = new ErrorHandler(responder);
        root.route().failureHandler(errors);
        // Requests no route matched (404) or matched by path only (405) go through the same error mapping.
        root.errorHandler(404, errors);
        root.errorHandler(405, errors);

        quota.start();
        return changes.start()
                .compose(v -> directory.start(config.routingRefresh()))
                .compose(v -> vertx.createHttpServer().requestHandler(root).listen(config.port(), config.host()))
                .onSuccess(s -> {
                    server = s;
                    LOG.info("gateway {} listening on {}:{}", config.gatewayId(), config.host(), s.actualPort());
                });
    }

    /** The port the gateway listens on (useful with port 0). */
    public int port() {
        return server.actualPort();
    }

    @Override
    public Future<?> stop() {
        Future<Void> closed = server == null ? Future.succeededFuture() : server.shutdown(20, TimeUnit.SECONDS);
        return closed
                .compose(v -> ledger.drain())
                .compose(v -> quota.releaseAll())
                .recover(e -> {
                    LOG.warn("gateway stop: {}", e.toString());
                    return Future.succeededFuture();
                })
                .onComplete(ar -> {
                    quota.close();
                    directory.close();
                    workers.close();
                    changes.close();
                });
    }
}
