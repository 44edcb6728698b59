package io.lmaas.gateway.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a gateway that died mid-upload left in the upload area: the HTTP layer's temporary files (an upload's
 * plaintext until it is validated and sealed) that nothing has written for longer than an upload may take. A live
 * upload's file is written to continuously and sealed within moments of its end, so it is never this old; the
 * directories model uploads and merges work in are left alone (platform models, or sealed output).
 */
final class UploadLeftovers {
    private static final Logger LOG = LoggerFactory.getLogger(UploadLeftovers.class);

    private UploadLeftovers() {
    }

    /** Deletes the regular files directly under {@code uploads} last modified before {@code now - maxAge}; how many. */
    static int remove(Path uploads, Duration maxAge, Instant now) throws IOException {
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        Instant cutoff = now.minus(maxAge);
        List<Path> stale;
        try (Stream<Path> entries = Files.list(uploads)) {
            stale = entries.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && modifiedBefore(p, cutoff))
                    .toList();
        }
        int removed = 0;
        for (Path p : stale) {
            if (Files.deleteIfExists(p)) {
                removed++;
            }
        }
        if (removed > 0) {
            LOG.info("removed {} upload leftover(s) older than {} from {}", removed, maxAge, uploads);
        }
        return removed;
    }

    private static boolean modifiedBefore(Path p, Instant cutoff) {
        try {
            return Files.getLastModifiedTime(p).toInstant().isBefore(cutoff);
        } catch (IOException e) {
            return false; // gone meanwhile, or unreadable: not ours to judge
        }
    }
}
