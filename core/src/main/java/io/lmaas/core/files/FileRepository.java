package io.lmaas.core.files;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** Files (SQL only). A deleted file keeps its row (deleted_at) so jobs that used it still say which. */
public final class FileRepository {
    private static final String COLUMNS = "id, tenant_id, purpose, filename, bytes, artifact_uri, format, lines, created_at";

    private final Pool pool;

    public FileRepository(Pool pool) {
        this.pool = pool;
    }

    public Future<FileRecord> insert(FileRecord f) {
        return insert(pool, f);
    }

    /** Inserts a file's row on {@code client} (a transaction's connection, or the pool). */
    public static Future<FileRecord> insert(io.vertx.sqlclient.SqlClient client, FileRecord f) {
        return client.preparedQuery("INSERT INTO files (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) RETURNING "
                        + COLUMNS)
                .execute(Tuple.tuple(List.of(f.id(), f.tenantId(), f.purpose(), f.filename(), f.bytes(), f.artifactUri(),
                        f.format() == null ? "" : f.format(), f.lines())))
                .map(rows -> file(rows.iterator().next()));
    }

    /** A tenant's live file, or null (another tenant's, deleted, or absent alike). */
    public Future<FileRecord> find(String tenantId, String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM files WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL")
                .execute(Tuple.of(id, tenantId)).map(rows -> rows.size() == 0 ? null : file(rows.iterator().next()));
    }

    /** A tenant's live files, newest first, optionally of one purpose, after a file id (cursor). */
    public Future<List<FileRecord>> list(String tenantId, String purpose, String after, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM files WHERE tenant_id = $1 AND deleted_at IS NULL"
                        + " AND ($2::text IS NULL OR purpose = $2)"
                        + " AND ($3::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM files WHERE id = $3))"
                        + " ORDER BY created_at DESC, id DESC LIMIT $4")
                .execute(Tuple.of(tenantId, purpose, after, limit)).map(rows -> {
                    List<FileRecord> out = new ArrayList<>();
                    rows.forEach(r -> out.add(file(r)));
                    return out;
                });
    }

    /** Records the first download of the file's content. */
    public Future<Void> downloaded(String tenantId, String id) {
        return pool.preparedQuery("UPDATE files SET downloaded_at = now() WHERE id = $1 AND tenant_id = $2 AND downloaded_at IS NULL")
                .execute(io.vertx.sqlclient.Tuple.of(id, tenantId)).mapEmpty();
    }

    public Future<Boolean> delete(String tenantId, String id) {
        return pool.preparedQuery("UPDATE files SET deleted_at = now() WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL")
                .execute(Tuple.of(id, tenantId)).map(r -> r.rowCount() == 1);
    }

    private static FileRecord file(Row r) {
        String format = r.getString("format");
        return new FileRecord(r.getString("id"), r.getString("tenant_id"), r.getString("purpose"), r.getString("filename"),
                r.getLong("bytes"), r.getString("artifact_uri"), format == null || format.isEmpty() ? null : format,
                r.getInteger("lines"), r.getOffsetDateTime("created_at"));
    }
}
