package io.lmaas.gateway.models;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.audit.AuditRepository;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelInfo;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.inference.AdapterPlacement;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Models, their versions and deployments, for platform admins. A version is validated (it must load and
 * run) before it is registered, then copied into the artifact store so later edits of the source cannot
 * change what is served. Every mutation writes an audit row.
 */
public final class ModelAdminService {
    /** What a model version may be called. */
    public static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final AdapterPlacement placement;
    private final Vertx vertx;
    private final Pool pool;
    private final ModelValidator validator;
    private final Optional<ArtifactStore> store;
    private final ModelCatalogRepository catalog;
    private final DeploymentRepository deployments;

    public ModelAdminService(Vertx vertx, Pool pool, ModelValidator validator, Optional<ArtifactStore> store,
            AdapterPlacement placement) {
        this.vertx = vertx;
        this.placement = placement;
        this.pool = pool;
        this.validator = validator;
        this.store = store;
        this.catalog = new ModelCatalogRepository(pool);
        this.deployments = new DeploymentRepository(pool);
    }

    public Future<ModelRecord> createModel(String actor, ModelRecord model) {
        return pool.withTransaction(conn -> (model.ownerTenantId() == null ? Future.<Void>succeededFuture()
                        : conn.preparedQuery("SELECT 1 FROM tenants WHERE id = $1 AND deleted_at IS NULL").execute(Tuple.of(model.ownerTenantId()))
                                .compose(r -> r.size() == 0 ? Future.failedFuture(ApiException.invalidParam("owner_tenant_id",
                                        "no tenant '" + model.ownerTenantId() + "'")) : Future.<Void>succeededFuture()))
                .compose(v -> checkBase(conn, model))
                .compose(v -> ModelCatalogRepository.create(conn, model))
                .compose(created -> created ? Future.succeededFuture()
                        : Future.failedFuture(ApiException.conflict("model_exists", "a model '" + model.id() + "' already exists")))
                .compose(v -> AuditRepository.record(conn, actor, "model.create", "model", model.id(), model.ownerTenantId(),
                        null, modelJson(model))))
                .compose(v -> catalog.find(model.id()).map(Optional::orElseThrow));
    }

    /**
     * Pins a LoRA adapter model in its base's workers (kept loaded, never evicted as least recently used) or unpins it;
     * audited. Only an adapter model can be pinned.
     */
    public Future<Void> pin(String actor, String modelId, boolean pinned) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT base_model_id, owner_tenant_id, pinned FROM models WHERE id = $1")
                .execute(Tuple.of(modelId))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.failedFuture(ApiException.notFound("model_not_found", "no model '" + modelId + "'"));
                    }
                    io.vertx.sqlclient.Row row = rows.iterator().next();
                    if (row.getString("base_model_id") == null) {
                        return Future.failedFuture(ApiException.invalidParam("pinned", "'" + modelId
                                + "' is not a LoRA adapter model: only adapters are pinned (a model of its own has a deployment)"));
                    }
                    return conn.preparedQuery("UPDATE models SET pinned = $2 WHERE id = $1").execute(Tuple.of(modelId, pinned))
                            .compose(v -> AuditRepository.record(conn, actor, pinned ? "model.pin" : "model.unpin", "model", modelId,
                                    row.getString("owner_tenant_id"), new JsonObject().put("pinned", row.getBoolean("pinned")),
                                    new JsonObject().put("pinned", pinned)));
                }));
    }

    public Future<List<ModelCatalogRepository.ModelWithVersions>> models(List<String> owners, String after, int limit) {
        return catalog.page(owners, after, limit);
    }

    /** Validates the directory, copies it into the artifact store, registers it as a version of the model. */
    /**
     * An adapter model's base must exist, not be an adapter itself, be usable by the adapter's owner (a public base, or
     * one of the same tenant) and fit the adapter's task: a text-generation adapter on a text-generation base; a
     * text-classification adapter on an encoder (a text-classification or feature-extraction base).
     */
    private static Future<Void> checkBase(io.vertx.sqlclient.SqlConnection conn, ModelRecord model) {
        if (!model.adapter()) {
            return Future.succeededFuture();
        }
        if (model.task() != ModelTask.TEXT_GENERATION && model.task() != ModelTask.TEXT_CLASSIFICATION) {
            throw ApiException.invalidParam("base_model", "adapters are served for text-generation and text-classification models");
        }
        java.util.Set<String> bases = model.task() == ModelTask.TEXT_GENERATION ? java.util.Set.of(ModelTask.TEXT_GENERATION.wireName())
                : java.util.Set.of(ModelTask.TEXT_CLASSIFICATION.wireName(), ModelTask.FEATURE_EXTRACTION.wireName());
        return conn.preparedQuery("SELECT task, owner_tenant_id, base_model_id FROM models WHERE id = $1")
                .execute(Tuple.of(model.baseModelId())).compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.failedFuture(ApiException.invalidParam("base_model", "no model '" + model.baseModelId() + "'"));
                    }
                    var row = rows.iterator().next();
                    String owner = row.getString("owner_tenant_id");
                    if (!bases.contains(row.getString("task")) || row.getString("base_model_id") != null
                            || (owner != null && !owner.equals(model.ownerTenantId()))) {
                        return Future.failedFuture(ApiException.invalidParam("base_model", "'" + model.baseModelId()
                                + "' cannot be a base: it must be a " + String.join(" or ", new java.util.TreeSet<>(bases))
                                + " model (not an adapter) that the owner may use"));
                    }
                    return Future.succeededFuture();
                });
    }

    /** The directory of the newest version of {@code model}'s base (what an adapter version is checked against). */
    private Future<Path> baseDirectory(ModelRecord model) {
        return catalog.latestVersion(model.baseModelId()).compose(v -> v.isPresent()
                ? Future.succeededFuture(ArtifactStore.path(v.get().artifactUri()))
                : Future.failedFuture(ApiException.badRequest("invalid_model_version", "path", "the base model '"
                        + model.baseModelId() + "' has no version to check the adapter against")));
    }

    public Future<String> addVersion(String actor, String modelId, String version, Path source) {
        return catalog.find(modelId)
                .compose(m -> m.isPresent() ? Future.succeededFuture(m.get())
                        : Future.failedFuture(ApiException.notFound("model_not_found", "no model '" + modelId + "'")))
                .compose(model -> (model.adapter() ? baseDirectory(model).compose(base -> validator.validateAdapter(source, base))
                                : validator.validate(source, model.task()))
                        .recover(e -> Future.failedFuture(e instanceof ApiException ? e
                                : ApiException.badRequest("invalid_model_version", "path", e.getMessage())))
                        .compose(v -> store(actor, model, version, source)));
    }

    /** Copies a validated version directory into the artifact store and registers it (audited); its artifact URI. */
    private Future<String> store(String actor, ModelRecord model, String version, Path source) {
        String modelId = model.id();
        return vertx.executeBlocking(() -> {
                    String copied = copy(modelId, version, source);
                    return java.util.Map.entry(copied, ModelInfo.of(ArtifactStore.path(copied)));
                })
                .compose(stored -> pool.withTransaction(conn -> ModelCatalogRepository.addVersion(conn, modelId, version,
                                stored.getKey(), stored.getValue())
                        .compose(added -> added ? Future.succeededFuture()
                                : Future.failedFuture(ApiException.conflict("version_exists",
                                        "model '" + modelId + "' already has a version '" + version + "'")))
                        .compose(v -> AuditRepository.record(conn, actor, "model_version.create", "model", modelId,
                                model.ownerTenantId(), null, new JsonObject().put("version", version).put("artifact_uri", stored.getKey())))
                        .map(stored.getKey())));
    }

    /**
     * A LoRA adapter model folded into a copy of its base (its newest version into the base's newest), registered as a
     * new model {@code newId} of the adapter's task with version "1", owned like the adapter: a very hot adapter deployed as a
     * model of its own. The merge runs in a worker process; the result is validated before the model is registered, so
     * a failure leaves no model behind.
     */
    public Future<ModelRecord> mergeAdapter(String actor, String adapterId, String newId, String description) {
        ArtifactStore artifacts = store.orElseThrow(() -> ApiException.badRequest("invalid_request", null,
                "this gateway has no artifact store"));
        return mergeable(adapterId, newId).compose(adapter -> catalog.latestVersion(adapterId)
                .compose(v -> v.isPresent() ? Future.succeededFuture(ArtifactStore.path(v.get().artifactUri()))
                        : Future.failedFuture(ApiException.badRequest("invalid_request", null, "'" + adapterId + "' has no version")))
                .compose(adapterDir -> baseDirectory(adapter).compose(baseDir -> vertx.executeBlocking(() -> {
                    Files.createDirectories(artifacts.uploads());
                    return Files.createTempDirectory(artifacts.uploads(), "merge-").resolve("model");
                }).compose(out -> merged(actor, adapter, newId, description, adapterDir, baseDir, out)
                        .eventually(() -> vertx.executeBlocking(() -> {
                            deleteTree(out.getParent());
                            return null;
                        }))))));
    }

    /** The adapter model {@code adapterId}, if it is one and {@code newId} is free. */
    private Future<ModelRecord> mergeable(String adapterId, String newId) {
        return catalog.find(adapterId).compose(m -> {
            if (m.isEmpty()) {
                return Future.failedFuture(ApiException.notFound("model_not_found", "no model '" + adapterId + "'"));
            }
            if (!m.get().adapter()) {
                return Future.failedFuture(ApiException.badRequest("invalid_request", null,
                        "'" + adapterId + "' is not a LoRA adapter model: only adapters are merged into their base"));
            }
            return catalog.find(newId).compose(taken -> taken.isPresent()
                    ? Future.failedFuture(ApiException.conflict("model_exists", "a model '" + newId + "' already exists"))
                    : Future.succeededFuture(m.get()));
        });
    }

    /** Merges into {@code out} (a worker process), validates the result once, then registers the model and its version. */
    private Future<ModelRecord> merged(String actor, ModelRecord adapter, String newId, String description, Path adapterDir,
            Path baseDir, Path out) {
        ModelRecord model = new ModelRecord(newId, adapter.task(), adapter.ownerTenantId(), description != null
                ? description : "LoRA adapter " + adapter.id() + " merged into " + adapter.baseModelId(), null, null);
        return validator.mergeAdapter(adapterDir, baseDir, out)
                .compose(v -> validator.validate(out, adapter.task()))
                .recover(e -> Future.failedFuture(e instanceof ApiException ? e
                        : ApiException.badRequest("invalid_model_version", null, "the merge failed: " + e.getMessage())))
                .compose(v -> createModel(actor, model))
                .compose(created -> store(actor, created, "1", out).map(created));
    }

    /** The newest version's name; a model without versions is 404. */
    public Future<String> latestVersion(String modelId) {
        return catalog.latestVersion(modelId).compose(v -> v.isPresent() ? Future.succeededFuture(v.get().version())
                : Future.failedFuture(ApiException.notFound("model_not_found", "no model '" + modelId + "' with a version")));
    }

    /**
     * A version of a model packed as a zip of its directory (a sealed temporary file the caller deletes once sent), if
     * {@code owners} may see it: null owners = every model (the platform admin); otherwise only models owned by one
     * of them — another tenant's model, or a shared one, is 404 as if it did not exist.
     */
    public Future<Packed> download(String modelId, String version, List<String> owners) {
        ApiException notFound = ApiException.notFound("model_not_found", "no model '" + modelId + "' with a version '" + version + "'");
        return catalog.find(modelId)
                .compose(m -> m.isPresent() && (owners == null || (m.get().ownerTenantId() != null
                        && owners.contains(m.get().ownerTenantId()))) ? catalog.version(modelId, version)
                        : Future.succeededFuture(Optional.<ModelCatalogRepository.Version>empty()))
                .compose(v -> v.isEmpty() ? Future.failedFuture(notFound) : vertx.executeBlocking(() -> {
                    Path dir = ArtifactStore.path(v.get().artifactUri());
                    if (!Files.isDirectory(dir)) {
                        throw ApiException.notFound("model_not_found", "the files of '" + modelId + "' version '" + version
                                + "' are gone from the artifact store");
                    }
                    // Sealed with a key only this process holds: what a crash leaves behind is unreadable.
                    DataKey key = DataKey.ephemeral("download");
                    Path zip = Files.createTempFile("lmaas-download-", ".zip");
                    try {
                        ModelArchive.pack(dir, modelId + "-" + version, Artifacts.newOutputStream(zip, key));
                    } catch (IOException | RuntimeException e) {
                        Files.deleteIfExists(zip);
                        throw e;
                    }
                    return new Packed(zip, key);
                }, false));
    }

    /** A model version's zip: a temporary file sealed with {@code key}, which exists only in this process. */
    public record Packed(Path zip, DataKey key) {
    }

    /** GPUs per replica of a deployment, of one flavor (on Kubernetes; the local backend runs on what it has). */
    public record Gpu(int count, String flavor) {
    }

    public Future<String> deploy(String actor, String modelId, String version, int replicas) {
        return deploy(actor, modelId, version, replicas, null);
    }

    public Future<String> deploy(String actor, String modelId, String version, int replicas, Gpu gpu) {
        return pool.preparedQuery("SELECT 1 FROM model_versions WHERE model_id = $1 AND version = $2")
                .execute(Tuple.of(modelId, version))
                .compose(r -> r.size() == 0 ? Future.failedFuture(ApiException.notFound("model_version_not_found",
                        "model '" + modelId + "' has no version '" + version + "'"))
                        : deployments.create(modelId, version, replicas, gpu == null ? null : gpu.count(), gpu == null ? null : gpu.flavor()))
                .compose(id -> AuditRepository.record(pool, actor, "deployment.create", "deployment", id, null, null,
                        new JsonObject().put("model", modelId).put("version", version).put("replicas", replicas)
                                .put("gpu", gpu == null ? null : new JsonObject().put("count", gpu.count()).put("flavor", gpu.flavor())))
                        .map(id));
    }

    public Future<Void> scale(String actor, String deploymentId, int replicas) {
        return deployments.scale(deploymentId, replicas)
                .compose(found -> found ? AuditRepository.record(pool, actor, "deployment.scale", "deployment", deploymentId, null,
                        null, new JsonObject().put("replicas", replicas)) : Future.failedFuture(deploymentNotFound(deploymentId)));
    }

    public Future<Void> delete(String actor, String deploymentId) {
        return deployments.delete(deploymentId)
                .compose(found -> found ? AuditRepository.record(pool, actor, "deployment.delete", "deployment", deploymentId,
                        null, null, null) : Future.failedFuture(deploymentNotFound(deploymentId)));
    }

    private String copy(String modelId, String version, Path source) throws IOException {
        if (store.isEmpty()) {
            return ArtifactStore.uri(source);
        }
        Path target = store.get().modelVersion(modelId, version);
        if (Files.exists(target)) {
            throw ApiException.conflict("version_exists", "model '" + modelId + "' already has a version '" + version + "'");
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), version + ".partial-");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.toList()) {
                Path to = tmp.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(tmp);
        }
        return ArtifactStore.uri(target);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> left = Files.walk(dir)) {
                for (Path p : left.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The replicas of its base that held the adapter model {@code id} at the gateway's last look. */
    public io.vertx.core.json.JsonArray heldBy(String id) {
        return placement.heldBy(id);
    }

    public static JsonObject modelJson(ModelRecord m) {
        return new JsonObject().put("id", m.id()).put("object", "model").put("task", m.task().wireName())
                .put("owner_tenant_id", m.ownerTenantId()).put("description", m.description()).put("base_model", m.baseModelId())
                .put("created_at", m.createdAt() == null ? null : m.createdAt().toEpochSecond());
    }

    private static ApiException deploymentNotFound(String id) {
        return ApiException.notFound("deployment_not_found", "no deployment '" + id + "'");
    }

}
