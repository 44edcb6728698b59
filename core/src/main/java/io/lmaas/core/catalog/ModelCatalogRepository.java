package io.lmaas.core.catalog;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Models and model versions (SQL only). */
public final class ModelCatalogRepository {
    private static final String SELECT_MODEL =
            "SELECT m.id, m.task, m.owner_tenant_id, m.description, m.created_at, m.base_model_id FROM models m ";

    private final Pool pool;

    public ModelCatalogRepository(Pool pool) {
        this.pool = pool;
    }

    /** Registers a model and one version; idempotent (an existing model or version is left as it is). */
    public Future<Void> register(ModelRecord model, String version, String artifactUri) {
        return register(model, version, artifactUri, null);
    }

    /** The same, with what the version is ({@link ModelInfo}); a version registered without it gets it now. */
    public Future<Void> register(ModelRecord model, String version, String artifactUri, JsonObject info) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("INSERT INTO models (id, task, owner_tenant_id, description, base_model_id) VALUES ($1, $2, $3, $4, $5)"
                        + " ON CONFLICT (id) DO NOTHING")
                .execute(Tuple.of(model.id(), model.task().wireName(), model.ownerTenantId(), model.description(), model.baseModelId()))
                .compose(r -> conn
                        .preparedQuery("INSERT INTO model_versions (model_id, version, artifact_uri, info) VALUES ($1, $2, $3, $4)"
                                + " ON CONFLICT (model_id, version) DO UPDATE SET info = coalesce(model_versions.info, excluded.info)")
                        .execute(Tuple.of(model.id(), version, artifactUri, info)))
                .mapEmpty());
    }

    /** Creates a model without versions; false if the id is taken. */
    public static Future<Boolean> create(SqlClient conn, ModelRecord model) {
        return conn.preparedQuery("INSERT INTO models (id, task, owner_tenant_id, description, base_model_id) VALUES ($1, $2, $3, $4, $5)"
                        + " ON CONFLICT (id) DO NOTHING")
                .execute(Tuple.of(model.id(), model.task().wireName(), model.ownerTenantId(), model.description(), model.baseModelId()))
                .map(r -> r.rowCount() == 1);
    }

    /** Adds a version with what it is ({@link ModelInfo}); false if the model already has one of that name. */
    public static Future<Boolean> addVersion(SqlClient conn, String modelId, String version, String artifactUri, JsonObject info) {
        return conn.preparedQuery("INSERT INTO model_versions (model_id, version, artifact_uri, info) VALUES ($1, $2, $3, $4)"
                        + " ON CONFLICT (model_id, version) DO NOTHING")
                .execute(Tuple.of(modelId, version, artifactUri, info))
                .map(r -> r.rowCount() == 1);
    }

    /** Every model (with or without versions) and its version names, in id order. */
    /**
     * A page of models with their versions in id order, after {@code after}: public ones and those owned by
     * {@code owners} (null: every model).
     */
    public Future<List<ModelWithVersions>> page(List<String> owners, String after, int limit) {
        return pool.preparedQuery(SELECT_MODEL.replace("FROM models m ", ", coalesce((SELECT array_agg(v.version ORDER BY v.created_at)"
                        + " FROM model_versions v WHERE v.model_id = m.id), '{}') AS versions,"
                        + " (SELECT coalesce(jsonb_object_agg(v.version, v.info), '{}'::jsonb) FROM model_versions v"
                        + " WHERE v.model_id = m.id AND v.info IS NOT NULL) AS info, m.pinned FROM models m ")
                        + "WHERE ($1::text[] IS NULL OR m.owner_tenant_id IS NULL OR m.owner_tenant_id = ANY($1))"
                        + " AND ($2::text IS NULL OR m.id > $2) ORDER BY m.id LIMIT $3")
                .execute(io.vertx.sqlclient.Tuple.tuple().addArrayOfString(owners == null ? null : owners.toArray(new String[0]))
                        .addString(after).addInteger(limit))
                .map(rows -> {
                    List<ModelWithVersions> out = new ArrayList<>();
                    rows.forEach(row -> out.add(new ModelWithVersions(toModel(row), List.of(row.getArrayOfStrings("versions")),
                            row.getJsonObject("info") == null ? new JsonObject() : row.getJsonObject("info"), row.getBoolean("pinned"))));
                    return out;
                });
    }

    /**
     * A model, the names of its versions, what each version is ({@link ModelInfo}, by version name), and whether (an
     * adapter model) it is pinned in its base's workers.
     */
    public record ModelWithVersions(ModelRecord model, List<String> versions, JsonObject info, boolean pinned) {
    }

    /** Every model that has at least one version, in id order. */
    public Future<List<ModelRecord>> listWithVersions() {
        return pool.query(SELECT_MODEL
                        + "WHERE EXISTS (SELECT 1 FROM model_versions v WHERE v.model_id = m.id) ORDER BY m.id")
                .execute()
                .map(rows -> {
                    List<ModelRecord> out = new ArrayList<>();
                    rows.forEach(row -> out.add(toModel(row)));
                    return out;
                });
    }

    public Future<Optional<ModelRecord>> find(String id) {
        return pool.preparedQuery(SELECT_MODEL + "WHERE m.id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toModel(rows.iterator().next())));
    }

    /** A model version and where its files are. */
    public record Version(String modelId, String version, String artifactUri) {
    }

    /** One version of a model, or empty if it has no such version. */
    public Future<Optional<Version>> version(String modelId, String version) {
        return pool.preparedQuery("SELECT model_id, version, artifact_uri FROM model_versions WHERE model_id = $1 AND version = $2")
                .execute(Tuple.of(modelId, version))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(new Version(rows.iterator().next().getString("model_id"),
                        rows.iterator().next().getString("version"), rows.iterator().next().getString("artifact_uri"))));
    }

    /** The model's newest version, or empty if it has none. */
    public Future<Optional<Version>> latestVersion(String modelId) {
        return pool.preparedQuery("SELECT model_id, version, artifact_uri FROM model_versions WHERE model_id = $1"
                        + " ORDER BY created_at DESC, version DESC LIMIT 1")
                .execute(Tuple.of(modelId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(new Version(rows.iterator().next().getString("model_id"),
                        rows.iterator().next().getString("version"), rows.iterator().next().getString("artifact_uri"))));
    }

    private static ModelRecord toModel(Row row) {
        return new ModelRecord(
                row.getString("id"),
                ModelTask.fromWire(row.getString("task")).orElseThrow(),
                row.getString("owner_tenant_id"),
                row.getString("description"),
                row.getOffsetDateTime("created_at"),
                row.getString("base_model_id"));
    }

    /** Every adapter model's newest version's files, by model id (what the gateway sends a base's worker). */
    public Future<java.util.Map<String, AdapterArtifact>> adapterArtifacts() {
        return pool.query("SELECT DISTINCT ON (v.model_id) v.model_id, v.artifact_uri, m.pinned FROM model_versions v"
                        + " JOIN models m ON m.id = v.model_id WHERE m.base_model_id IS NOT NULL"
                        + " ORDER BY v.model_id, v.created_at DESC, v.version DESC").execute()
                .map(rows -> {
                    java.util.Map<String, AdapterArtifact> out = new java.util.HashMap<>();
                    rows.forEach(r -> out.put(r.getString("model_id"), new AdapterArtifact(r.getString("artifact_uri"),
                            r.getBoolean("pinned"))));
                    return out;
                });
    }
}
