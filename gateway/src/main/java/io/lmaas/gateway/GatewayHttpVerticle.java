package io.lmaas.gateway;

import io.lmaas.core.files.FileRepository;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.core.metrics.ProcessMetrics;
import io.lmaas.gateway.admin.AdminJobRoutes;
import io.lmaas.gateway.admin.AdminRoutes;
import io.lmaas.gateway.admin.TenantDeletion;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.batches.BatchCancellation;
import io.lmaas.gateway.batches.BatchRoutes;
import io.lmaas.gateway.files.FilesRoutes;
import io.lmaas.gateway.files.FilesService;
import io.lmaas.gateway.files.Uploads;
import io.lmaas.gateway.finetuning.FineTuningRoutes;
import io.lmaas.gateway.finetuning.FineTuningService;
import io.lmaas.gateway.health.HealthRoutes;
import io.lmaas.gateway.http.ApiDocument;
import io.lmaas.gateway.http.ErrorHandler;
import io.lmaas.gateway.http.HeaderDeadline;
import io.lmaas.gateway.http.InvalidRequests;
import io.lmaas.gateway.http.RequestBodies;
import io.lmaas.gateway.http.RequestGuards;
import io.lmaas.gateway.http.RequestIdHandler;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.inference.InferenceRoutes;
import io.lmaas.gateway.models.ModelDownloadRoute;
import io.lmaas.gateway.models.ModelUploadRoute;
import io.lmaas.gateway.usage.Metering;
import io.lmaas.gateway.usage.OverviewService;
import io.lmaas.gateway.usage.UsageRoutes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.concurrent.TimeUnit;

/**
 * One event loop of the gateway: its HTTP server (all instances share the port) and its router. Routes: tenant API under {@code /v1} (API key → scope →
 * metering → quota → inference), admin API under {@code /admin/v1}, console, health; one failure handler.
 */
final class GatewayHttpVerticle extends VerticleBase {
    private static final String MODEL_UPLOAD = "/admin/v1/models/:id/versions/upload";
    private final GatewayServices services;
    private HttpServer server;
    private Router router;

    GatewayHttpVerticle(GatewayServices services) {
        this.services = services;
    }

    @Override
    public Future<?> start() {
        GatewayConfig config = services.config();
        Metering metering = new Metering(services.ledger(), config.gatewayId());
        Responder responder = new Responder(metering::finish);

        Router root = Router.router(vertx);
        RequestGuards guards = config.guards();
        HeaderDeadline headers = new HeaderDeadline(vertx, guards);
        RequestBodies bodies = new RequestBodies(config.bodyLimitBytes(), guards);
        root.route().handler(headers.handler()).handler(new RequestIdHandler()).handler(bodies.deadline());
        // Routes that take an upload hold their body until the caller is signed in and allowed; the rest are read
        // into memory. Which is which follows the route matched, never the raw path.
        config.artifacts().ifPresent(store -> {
            root.post("/v1/files").handler(RequestBodies::holdForUpload);
            root.post(MODEL_UPLOAD).handler(RequestBodies::holdForUpload);
        });
        root.route().handler(bodies.readUnlessHeld()).handler(RequestBodies::bodyRead);
        root.route("/health/*").subRouter(new HealthRoutes(services.pool()).router(vertx));
        root.get("/metrics").handler(ctx -> ProcessMetrics.scrape(ctx.request(), config.workerToken()));
        root.get("/openapi.json").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-cache").end(ApiDocument.json()));
        // Sign-in first; each /v1 route then checks the key's scope for its own endpoint family before anything else.
        root.route("/v1/*").handler(services.keys()).handler(metering.begin());
        Router v1 = Router.router(vertx);
        new InferenceRoutes(services.inference(), services.quota(), responder).addTo(v1);
        new UsageRoutes(services.usage(), responder).addTo(v1);
        new FineTuningRoutes(new FineTuningService(vertx, services.pool()), responder).addTo(v1);
        ModelDownloadRoute downloads = new ModelDownloadRoute(vertx, services.models());
        v1.get("/models/:id/download").handler(ScopeHandler.FINE_TUNING).handler(downloads::tenant);
        config.artifacts().ifPresent(store -> {
            Uploads uploads = new Uploads(store, config.fileLimitBytes(), guards.minFreeBytes());
            new FilesRoutes(new FilesService(vertx, new FileRepository(services.pool()), store, services.tenantKeys()), uploads, responder).addTo(v1);
            new BatchRoutes(services.pool(), new BatchCancellation(vertx, services.pool(), store, services.tenantKeys()), responder)
                    .addTo(v1);
            root.post(MODEL_UPLOAD).handler(services.admins()).handler(ctx -> {
                AdminPrincipal.of(ctx).requirePlatform(); // before a byte of the upload is written
                ctx.next();
            }).handler(uploads.roomLeft()).handler(uploads.reader()).handler(RequestBodies::uploadRead)
                    .handler(new ModelUploadRoute(vertx, services.models(), store, config.fileLimitBytes() * 4, responder));
        });
        root.route("/v1/*").subRouter(v1);
        root.route("/admin/v1/*").subRouter(new AdminRoutes(services.admin(), services.keyAdmin(), services.usage(),
                services.models(), responder, services.admins(), new OverviewService(services.pool()), services.identity(),
                new AdminJobRoutes(new JobRepository(services.pool()), config.artifacts().map(store ->
                        new BatchCancellation(vertx, services.pool(), store, services.tenantKeys())), responder), downloads,
                new TenantDeletion(vertx, services.pool(), config.artifacts(), services.identity(), services.tenantKeys()),
                new io.lmaas.gateway.admin.AdminEncryptionRoutes(services.tenantKeys(), services.pool(), responder)).router(vertx));
        JsonObject consoleConfig = config.keycloak().map(k -> new JsonObject().put("auth", "keycloak").put("issuer", k.issuer())
                .put("client_id", k.consoleClientId())).orElse(new JsonObject().put("auth", "token"));
        root.get("/console/config.json").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store").end(consoleConfig.encode()));
        root.route("/console/vendor/uplot/*").handler(StaticHandler.create("META-INF/resources/webjars/uplot/1.6.30/dist")
                .setMaxAgeSeconds(86400));
        root.route("/console/vendor/swagger-ui/*").handler(StaticHandler.create("META-INF/resources/webjars/swagger-ui/"
                + ApiDocument.SWAGGER_UI_VERSION).setMaxAgeSeconds(86400));
        root.get("/console").handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                ctx.next();
            } else {
                ctx.redirect("/console/");
            }
        });
        root.route("/console/*").handler(ctx -> {
            ctx.response().putHeader("content-security-policy", "default-src 'self'; connect-src 'self' "
                    + config.keycloak().map(k -> origin(k.url())).orElse("") + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
                    + " frame-ancestors 'none'").putHeader("x-content-type-options", "nosniff");
            ctx.next();
        }).handler(StaticHandler.create("lmaas-console").setCachingEnabled(false));
        ErrorHandler errors = new ErrorHandler(responder, services.metrics(), services.metricTags());
        root.route().failureHandler(errors);
        // Requests no route matched (404) or matched by path only (405) go through the same error mapping.
        root.errorHandler(404, errors);
        root.errorHandler(405, errors);
        // HTTP/1.1 only: cleartext HTTP/2 detection would hide a connection from the header deadline until its first request.
        HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(false)
                .setIdleTimeout((int) guards.idleTimeout().toSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS);
        return vertx.createHttpServer(options).connectionHandler(headers::connected).invalidRequestHandler(InvalidRequests::answer)
                .requestHandler(root).listen(config.port(), config.host()).onSuccess(s -> {
                    server = s;
                    router = root;
                });
    }

    int port() {
        return server.actualPort();
    }

    /** The routes this event loop serves (the API document is checked against them). */
    Router router() {
        return router;
    }

    /** Graceful: stop taking requests, let in-flight ones (streams too) finish and be metered. */
    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.shutdown(20, TimeUnit.SECONDS);
    }

    /** scheme://host[:port] of a URL: CSP sources with a path match that path only. */
    private static String origin(String url) {
        java.net.URI u = java.net.URI.create(url);
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }
}
