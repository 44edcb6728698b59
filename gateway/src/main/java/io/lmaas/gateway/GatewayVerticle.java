package io.lmaas.gateway;

import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.gateway.admin.AdminRoutes;
import io.lmaas.gateway.admin.AdminService;
import io.lmaas.gateway.auth.AdminTokenAuthenticator;
import io.lmaas.gateway.auth.ApiKeyAuthenticator;
import io.lmaas.gateway.auth.ApiKeyRepository;
import io.lmaas.gateway.auth.KeyHasher;
import io.lmaas.gateway.health.HealthRoutes;
import io.lmaas.gateway.http.ErrorHandler;
import io.lmaas.gateway.http.RequestIdHandler;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.inference.EndpointDirectory;
import io.lmaas.gateway.inference.InferenceRoutes;
import io.lmaas.gateway.inference.InferenceService;
import io.lmaas.gateway.inference.WorkerClient;
import io.lmaas.gateway.usage.Metering;
import io.lmaas.gateway.usage.UsageRepository;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.sqlclient.Pool;
import java.time.Clock;

/**
 * The gateway: tenant API under {@code /v1} (API key → metering → inference), admin API under
 * {@code /admin/v1}, console at {@code /console/}, health under {@code /health}. One failure handler
 * renders every error.
 */
public final class GatewayVerticle extends VerticleBase {
    private final GatewayConfig config;
    private final Pool pool;
    private EndpointDirectory directory;
    private WorkerClient workers;
    private HttpServer server;

    public GatewayVerticle(GatewayConfig config, Pool pool) {
        this.config = config;
        this.pool = pool;
    }

    @Override
    public Future<?> start() {
        UsageRepository usage = new UsageRepository(pool);
        Metering metering = new Metering(usage);
        Responder responder = new Responder(metering::finish);
        KeyHasher hasher = new KeyHasher(config.keyHashSecret());
        directory = new EndpointDirectory(vertx, new ModelCatalogRepository(pool), new EndpointRepository(pool));
        workers = new WorkerClient(vertx, config.workerTimeout());

        Router root = Router.router(vertx);
        root.route().handler(new RequestIdHandler());
        root.route().handler(BodyHandler.create(false).setBodyLimit(config.bodyLimitBytes()));
        root.route("/health/*").subRouter(new HealthRoutes(pool).router(vertx));
        root.route("/v1/*")
                .handler(new ApiKeyAuthenticator(new ApiKeyRepository(pool), hasher, Clock.systemUTC(), config.keyCacheTtl()))
                .handler(metering.begin());
        root.route("/v1/*").subRouter(new InferenceRoutes(new InferenceService(directory, workers), responder).router(vertx));
        root.route("/admin/v1/*").subRouter(new AdminRoutes(new AdminService(pool, hasher, usage), responder,
                new AdminTokenAuthenticator(config.adminToken())).router(vertx));
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

        return directory.start(config.routingRefresh())
                .compose(v -> vertx.createHttpServer().requestHandler(root).listen(config.port(), config.host()))
                .onSuccess(s -> server = s);
    }

    /** The port the gateway listens on (useful with port 0). */
    public int port() {
        return server.actualPort();
    }

    @Override
    public Future<?> stop() {
        if (directory != null) {
            directory.close();
        }
        if (workers != null) {
            workers.close();
        }
        return Future.succeededFuture();
    }
}
