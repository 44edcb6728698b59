package io.lmaas.gateway.files;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.files.FileRecord;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.files.JsonlValidator;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;

/**
 * Tenants' files: an upload (already streamed to disk by the HTTP layer) is validated line by line off the
 * event loop, moved into the artifact store ({@code files/<tenant>/<id>.jsonl}) and recorded; deleting
 * marks the row and removes the bytes. Another tenant's file is "not found", like an absent one.
 */
public final class FilesService {
    public static final Set<String> PURPOSES = Set.of("fine-tune", "batch");

    private final Vertx vertx;
    private final FileRepository files;
    private final ArtifactStore store;

    public FilesService(Vertx vertx, FileRepository files, ArtifactStore store) {
        this.vertx = vertx;
        this.files = files;
        this.store = store;
    }

    public Future<FileRecord> upload(String tenantId, String purpose, String filename, Path uploaded, long bytes) {
        if (purpose == null || !PURPOSES.contains(purpose)) {
            return Future.failedFuture(ApiException.invalidParam("purpose", "'purpose' must be fine-tune or batch"));
        }
        if (filename == null || filename.isBlank() || filename.length() > 255 || !Params.printable(filename)) {
            return Future.failedFuture(ApiException.invalidParam("file", "the file's name must be 1 to 255 printable characters"));
        }
        String id = Ids.file();
        Path target = store.file(tenantId, id);
        return vertx.executeBlocking(() -> {
            JsonlValidator.Result r;
            try (BufferedReader in = Files.newBufferedReader(uploaded, StandardCharsets.UTF_8)) {
                r = JsonlValidator.validate(in, purpose);
            } catch (java.nio.charset.MalformedInputException e) {
                throw ApiException.badRequest("invalid_file", "file", "the file is not UTF-8 text");
            }
            if (!r.valid()) {
                throw ApiException.badRequest("invalid_file", "file", "the file is not valid " + purpose + " JSONL: " + r.summary());
            }
            Files.createDirectories(target.getParent());
            Files.move(uploaded, target, StandardCopyOption.REPLACE_EXISTING);
            return r;
        }, false).compose(r -> files.insert(new FileRecord(id, tenantId, purpose, filename, bytes, ArtifactStore.uri(target),
                r.format(), r.lines(), null)).recover(e -> vertx.executeBlocking(() -> {
                    Files.deleteIfExists(target); // no row, no file: never an orphan in the store
                    return null;
                }, false).transform(ar -> Future.failedFuture(e))));
    }

    public Future<FileRecord> get(String tenantId, String id) {
        return files.find(tenantId, id).compose(f -> f != null ? Future.succeededFuture(f) : Future.failedFuture(notFound(id)));
    }

    public Future<List<FileRecord>> list(String tenantId, String purpose, String after, int limit) {
        return files.list(tenantId, purpose, after, limit);
    }

    /** Notes that the file's content was fetched (first time only); what zero retention waits for. */
    public void downloaded(io.lmaas.core.files.FileRecord f) {
        files.downloaded(f.tenantId(), f.id()).onFailure(e -> org.slf4j.LoggerFactory.getLogger(FilesService.class)
                .warn("file {}: download not recorded: {}", f.id(), e.toString()));
    }

    public Future<Void> delete(String tenantId, String id) {
        return get(tenantId, id).compose(f -> files.delete(tenantId, id).compose(v -> vertx.executeBlocking(() -> {
            try {
                Files.deleteIfExists(ArtifactStore.path(f.artifactUri()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return null;
        }, false)));
    }

    public static ApiException notFound(String id) {
        return ApiException.notFound("file_not_found", "No file '" + id + "'.");
    }

    public static JsonObject toJson(FileRecord f) {
        return new JsonObject().put("id", f.id()).put("object", "file").put("bytes", f.bytes())
                .put("created_at", f.createdAt().toEpochSecond()).put("filename", f.filename()).put("purpose", f.purpose())
                .put("status", "processed").putNull("status_details").put("format", f.format()).put("lines", f.lines());
    }
}
