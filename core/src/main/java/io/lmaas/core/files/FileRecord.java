package io.lmaas.core.files;

import java.time.OffsetDateTime;

/** A tenant's uploaded (or job-written) file: purpose, name, size, where it lies, its validated format and lines. */
public record FileRecord(String id, String tenantId, String purpose, String filename, long bytes, String artifactUri,
        String format, int lines, OffsetDateTime createdAt) {
}
