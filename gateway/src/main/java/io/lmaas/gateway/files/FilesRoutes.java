package io.lmaas.gateway.files;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.files.FileRecord;
import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestBodies;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.http.SealedDownload;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code /v1/files}: upload (multipart: {@code purpose}, {@code file}), list ({@code purpose}, {@code after},
 * {@code limit}), get, content, delete — OpenAI's shapes. An upload's body is held unread until the key is
 * checked and its scope allows files, then streamed to disk ({@link Uploads}).
 */
public final class FilesRoutes {
    private final FilesService files;
    private final Uploads uploads;
    private final Responder responder;

    public FilesRoutes(FilesService files, Uploads uploads, Responder responder) {
        this.files = files;
        this.uploads = uploads;
        this.responder = responder;
    }

    public void addTo(Router r) {
        r.post("/files").handler(ScopeHandler.FILES).handler(uploads.roomLeft()).handler(uploads.reader())
                .handler(RequestBodies::uploadRead).handler(this::upload);
        r.get("/files").handler(ScopeHandler.FILES).handler(ctx -> {
            String purpose = Params.query(ctx, "purpose");
            int limit = Params.queryInt(ctx, "limit", 100, 1, 10_000);
            files.list(tenant(ctx), purpose, Params.query(ctx, "after"), limit)
                    .onSuccess(list -> responder.json(ctx, 200, page(list, limit)))
                    .onFailure(ctx::fail);
        });
        r.get("/files/:id").handler(ScopeHandler.FILES).handler(ctx -> files.get(tenant(ctx), Params.path(ctx, "id"))
                .onSuccess(f -> responder.json(ctx, 200, FilesService.toJson(f)))
                .onFailure(ctx::fail));
        r.get("/files/:id/content").handler(ScopeHandler.FILES).handler(ctx -> files.get(tenant(ctx), Params.path(ctx, "id"))
                .compose(f -> files.content(f).compose(in -> responder.settle(ctx, new io.lmaas.gateway.http.Outcome(200, null))
                        .onFailure(e -> SealedDownload.close(in))
                        .map(v -> {
                            ctx.response().putHeader("content-type", "application/jsonl");
                            SealedDownload.send(ctx.vertx(), ctx.response(), in)
                                    .onSuccess(done -> files.downloaded(f)); // zero retention deletes a downloaded batch output
                            return f;
                        })))
                .onFailure(ctx::fail));
        r.delete("/files/:id").handler(ScopeHandler.FILES).handler(ctx -> files.delete(tenant(ctx), Params.path(ctx, "id"))
                .onSuccess(v -> responder.json(ctx, 200, new JsonObject().put("id", Params.path(ctx, "id")).put("object", "file")
                        .put("deleted", true)))
                .onFailure(ctx::fail));
    }

    private void upload(RoutingContext ctx) {
        List<FileUpload> uploads = ctx.fileUploads();
        if (uploads.size() != 1 || !"file".equals(uploads.get(0).name())) {
            ctx.fail(ApiException.badRequest("invalid_request", "file", "send exactly one multipart file field named 'file'"));
            return;
        }
        FileUpload u = uploads.get(0);
        files.upload(tenant(ctx), Params.form(ctx, "purpose"), u.fileName(), Path.of(u.uploadedFileName()), u.size())
                .onSuccess(f -> responder.json(ctx, 200, FilesService.toJson(f)))
                .onFailure(ctx::fail);
    }

    private static String tenant(RoutingContext ctx) {
        return TenantPrincipal.of(ctx).tenantId();
    }

    private static JsonObject page(List<FileRecord> list, int limit) {
        JsonArray data = new JsonArray();
        list.forEach(f -> data.add(FilesService.toJson(f)));
        return new JsonObject().put("object", "list").put("data", data).put("has_more", list.size() == limit)
                .put("first_id", list.isEmpty() ? null : list.get(0).id())
                .put("last_id", list.isEmpty() ? null : list.get(list.size() - 1).id());
    }
}
