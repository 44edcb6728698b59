package io.lmaas.gateway.models;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.SealedDownload;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model version downloaded as a zip of its directory (a Hugging Face directory comes back as one), so a tenant's
 * fine-tuned model is theirs to take away.
 *
 * <ul>
 *   <li>{@code GET /admin/v1/models/{id}/versions/{version}/download}: the platform admin any model; a tenant admin
 *       their tenants' own models
 *   <li>{@code GET /v1/models/{id}/download[?version=]} (scope {@code fine_tuning}): the key's tenant's own models,
 *       the newest version unless one is named
 * </ul>
 * Anything else is 404 {@code model_not_found}, as if it did not exist. The zip is a temporary file sealed with a key
 * only this process holds, streamed back decrypted and deleted once sent.
 */
public final class ModelDownloadRoute {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDownloadRoute.class);

    private final Vertx vertx;
    private final ModelAdminService models;

    public ModelDownloadRoute(Vertx vertx, ModelAdminService models) {
        this.vertx = vertx;
        this.models = models;
    }

    public void admin(RoutingContext ctx) {
        String model = Params.path(ctx, "id");
        String version = version(Params.path(ctx, "version"));
        send(ctx, models.download(model, version, AdminPrincipal.of(ctx).tenantFilter()), model + "-" + version + ".zip");
    }

    public void tenant(RoutingContext ctx) {
        String model = Params.path(ctx, "id");
        String version = Params.query(ctx, "version");
        List<String> owner = List.of(TenantPrincipal.of(ctx).tenantId());
        send(ctx, (version == null ? models.latestVersion(model) : Future.succeededFuture(version(version)))
                .compose(v -> models.download(model, v, owner)), model + ".zip");
    }

    private static String version(String version) {
        if (version == null || !ModelAdminService.VERSION.matcher(version).matches()) {
            throw ApiException.invalidParam("version", "'version' must match " + ModelAdminService.VERSION.pattern());
        }
        return version;
    }

    private void send(RoutingContext ctx, Future<ModelAdminService.Packed> zip, String filename) {
        zip.onFailure(ctx::fail).onSuccess(packed -> vertx.executeBlocking(() -> Artifacts.newInputStream(packed.zip(), packed.key()), false)
                .onFailure(e -> {
                    delete(packed.zip());
                    ctx.fail(e);
                })
                .onSuccess(in -> {
                    ctx.response().putHeader("content-type", "application/zip")
                            .putHeader("content-disposition", "attachment; filename=\"" + filename.replaceAll("[^A-Za-z0-9._-]", "_") + "\"");
                    SealedDownload.send(vertx, ctx.response(), in).onComplete(ar -> delete(packed.zip()));
                }));
    }

    private void delete(Path file) {
        vertx.executeBlocking(() -> Files.deleteIfExists(file), false)
                .onFailure(e -> LOG.warn("could not delete the download {}: {}", file, e.getMessage()));
    }
}
