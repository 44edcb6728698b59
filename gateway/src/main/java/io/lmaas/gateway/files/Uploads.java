package io.lmaas.gateway.files;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Streaming uploads into the artifact store's upload area: refused with {@code 507 insufficient_storage} before a
 * byte is written when the store's free space is below the threshold, otherwise streamed to disk under the file
 * limit; the temporary file is deleted when the answer ends, whatever it is.
 */
public final class Uploads {
    private final ArtifactStore store;
    private final long minFreeBytes;
    private final BodyHandler reader;

    public Uploads(ArtifactStore store, long fileLimitBytes, long minFreeBytes) {
        this.store = store;
        this.minFreeBytes = minFreeBytes;
        this.reader = BodyHandler.create(store.uploads().toString()).setBodyLimit(fileLimitBytes).setDeleteUploadedFilesOnEnd(true);
    }

    /** 507 when the artifact store has less free space than the threshold. */
    public Handler<RoutingContext> roomLeft() {
        return ctx -> {
            long free = freeBytes(store.root());
            if (free < minFreeBytes) {
                ctx.fail(new ApiException(507, "server_error", "insufficient_storage", null,
                        "the artifact store is nearly full; uploads are refused until space is freed", 60));
                return;
            }
            ctx.next();
        };
    }

    /** Streams the multipart body to disk. */
    public Handler<RoutingContext> reader() {
        return reader::handle; // a plain handler: it runs after this route's scope and space checks
    }

    /** Usable bytes on the store's file system (the nearest existing directory of the root). */
    static long freeBytes(Path root) {
        Path p = root.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            return p == null ? Long.MAX_VALUE : Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // cannot tell: do not refuse on a failed look
        }
    }
}
