package io.lmaas.deploy.local;

import io.lmaas.core.config.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One {@code lmaas up} per data directory: an exclusive lock on {@code <data-dir>/lmaas.lock}, held while the platform
 * runs (the operating system drops it when the process dies, so a crash leaves nothing to clean up). A second start
 * on the same directory is told so, in words, instead of failing somewhere inside PostgreSQL.
 */
final class DataDirLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir) throws IOException {
        Path file = dataDir.resolve("lmaas.lock");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String holder = new String(java.nio.file.Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
            channel.close();
            throw new ConfigException("the data directory " + dataDir.toAbsolutePath() + " is in use by another lmaas up"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; stop it first, or pass another --data-dir");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
        return new DataDirLock(channel, lock);
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the process is ending; the operating system drops the lock with it
        }
    }
}
