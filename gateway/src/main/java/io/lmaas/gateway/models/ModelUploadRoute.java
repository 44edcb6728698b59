package io.lmaas.gateway.models;

import io.lmaas.gateway.http.Params;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Responder;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * {@code POST /admin/v1/models/{id}/versions/upload} (multipart: {@code version}, {@code file} = a zip of
 * the model version directory), for the console: the zip was streamed to disk after sign-in, is unpacked
 * safely, then registered like a directory on the server (validated in a worker process, copied into the
 * artifact store). Platform admins only.
 */
public final class ModelUploadRoute implements Handler<RoutingContext> {

    private final Vertx vertx;
    private final ModelAdminService models;
    private final ArtifactStore store;
    private final long maxUnpackedBytes;
    private final Responder responder;

    public ModelUploadRoute(Vertx vertx, ModelAdminService models, ArtifactStore store, long maxUnpackedBytes, Responder responder) {
        this.vertx = vertx;
        this.models = models;
        this.store = store;
        this.maxUnpackedBytes = maxUnpackedBytes;
        this.responder = responder;
    }

    @Override
    public void handle(RoutingContext ctx) {
        AdminPrincipal p = AdminPrincipal.of(ctx);
        p.requirePlatform();
        String version = Params.form(ctx, "version");
        if (version == null || version.isBlank()) {
            throw ApiException.missingParam("version");
        }
        if (!ModelAdminService.VERSION.matcher(version).matches()) {
            throw ApiException.invalidParam("version", "'version' must match " + ModelAdminService.VERSION.pattern());
        }
        FileUpload upload = ctx.fileUploads().stream().filter(f -> "file".equals(f.name())).findFirst()
                .orElseThrow(() -> ApiException.missingParam("file"));
        String modelId = Params.path(ctx, "id");
        Path work = store.uploads().resolve("model-" + Ids.random(12));
        vertx.executeBlocking(() -> {
            try {
                return ModelArchive.unpack(Path.of(upload.uploadedFileName()), work, maxUnpackedBytes);
            } catch (ModelArchive.Invalid e) {
                throw ApiException.badRequest("invalid_model_archive", "file", e.getMessage());
            }
        }, false).compose(dir -> models.addVersion(p.actor(), modelId, version, dir))
                .andThen(ar -> vertx.executeBlocking(() -> {
                    delete(work);
                    return null;
                }, false))
                .onSuccess(uri -> responder.json(ctx, 201, new JsonObject().put("object", "model_version").put("model", modelId)
                        .put("version", version).put("artifact_uri", uri)))
                .onFailure(ctx::fail);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
