package io.lmaas.core.artifacts;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where model versions, files and checkpoints live. Filesystem (a directory or volume) for now; URIs
 * stored in PostgreSQL are {@code file:} URIs so an S3-compatible store can be added beside it.
 */
public record ArtifactStore(Path root) {

    public ArtifactStore {
        root = root.toAbsolutePath().normalize();
    }

    public Path modelVersion(String modelId, String version) {
        return root.resolve("models").resolve(modelId).resolve(version);
    }

    /** A tenant's file ({@code files/<tenant>/<file id>.jsonl}). */
    public Path file(String tenantId, String fileId) {
        return root.resolve("files").resolve(tenantId).resolve(fileId + ".jsonl");
    }

    /** A job's working directory: checkpoints, logs. */
    public Path job(String jobId) {
        return root.resolve("jobs").resolve(jobId);
    }

    /** Where uploads are written while they arrive, before validation moves them into place. */
    public Path uploads() {
        return root.resolve("uploads");
    }

    public static String uri(Path path) {
        return path.toAbsolutePath().normalize().toUri().toString();
    }

    /** The local path of a {@code file:} artifact URI. */
    public static Path path(String uri) {
        URI u = URI.create(uri);
        if (!"file".equals(u.getScheme())) {
            throw new IllegalArgumentException("unsupported artifact URI scheme: " + u.getScheme());
        }
        return Path.of(u);
    }
}
