package io.lmaas.gateway.files;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.crypto.TenantKeys;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;

/**
 * Tenants' files: an upload (already streamed to disk by the HTTP layer) is validated line by line off the
 * event loop, sealed into the artifact store ({@code files/<tenant>/<id>.jsonl}, encrypted with the tenant's data key)
 * and recorded; deleting
 * marks the row and removes the bytes. Another tenant's file is "not found", like an absent one.
 */
public final class FilesService {
    public static final Set<String> PURPOSES = Set.of("fine-tune", "batch");

    private final Vertx vertx;
    private final FileRepository files;
    private final ArtifactStore store;
    private final TenantKeys keys;

    public FilesService(Vertx vertx, FileRepository files, ArtifactStore store, TenantKeys keys) {
        this.vertx = vertx;
        this.files = files;
        this.store = store;
        this.keys = keys;
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
        return keys.of(tenantId).compose(key -> vertx.executeBlocking(() -> {
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
            seal(uploaded, target, key);
            return r;
        }, false)).compose(r -> files.insert(new FileRecord(id, tenantId, purpose, filename, bytes, ArtifactStore.uri(target),
                r.format(), r.lines(), null)).recover(e -> vertx.executeBlocking(() -> {
                    Files.deleteIfExists(target); // no row, no file: never an orphan in the store
                    return null;
                }, false).transform(ar -> Future.failedFuture(e))));
    }

    /**
     * Writes {@code plain} into the store at {@code target} sealed with the tenant's key (a partial file first, moved
     * into place whole), then removes {@code plain}.
     */
    private static void seal(Path plain, Path target, DataKey key) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (InputStream in = Files.newInputStream(plain); OutputStream out = Artifacts.newOutputStream(partial, key)) {
            in.transferTo(out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(plain);
    }

    /** The plaintext of a tenant's file, decrypted in memory as it is read (opened off the event loop). */
    public Future<InputStream> content(FileRecord f) {
        return keys.of(f.tenantId()).compose(key -> vertx.executeBlocking(() ->
                Artifacts.newInputStream(ArtifactStore.path(f.artifactUri()), key), false));
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
