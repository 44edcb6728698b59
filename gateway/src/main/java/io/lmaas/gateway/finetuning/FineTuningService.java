package io.lmaas.gateway.finetuning;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.files.FileRecord;
import io.lmaas.core.files.FileRepository;
import io.lmaas.core.files.JsonlValidator;
import io.lmaas.core.ids.Ids;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.core.jobs.FineTuningBudget;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tuning jobs for a tenant: checks the base model (visible to the tenant, with a version), the files
 * (the tenant's, purpose fine-tune, of the format the model's task trains on) and the month's fine-tuning
 * budget; creates the job ({@code validating_files}), then checks the files' content again off the event
 * loop before queueing it. Cancel ends a job that has not ended; the runner stops its worker.
 */
public final class FineTuningService {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuningService.class);
    public static final String ENDPOINT = "/v1/fine_tuning/jobs";

    private final Vertx vertx;
    private final JobRepository jobs;
    private final FileRepository files;
    private final ModelCatalogRepository catalog;
    private final GpuQueueRepository budgets;

    public FineTuningService(Vertx vertx, Pool pool) {
        this.vertx = vertx;
        this.jobs = new JobRepository(pool);
        this.files = new FileRepository(pool);
        this.catalog = new ModelCatalogRepository(pool);
        this.budgets = new GpuQueueRepository(pool);
    }

    public JobRepository jobs() {
        return jobs;
    }

    /** Creates a job on a base model the tenant may see (404 otherwise) and the key is scoped to (403 otherwise). */
    public Future<JobRecord> create(TenantPrincipal principal, FineTuningRequest req) {
        String tenantId = principal.tenantId();
        return catalog.find(req.model())
                .compose(m -> m.filter(x -> x.visibleTo(tenantId)).map(Future::succeededFuture)
                        .orElseGet(() -> Future.failedFuture(ApiException.modelNotFound(req.model()))))
                .compose(m -> principal.scopes().allowsModel(m.id()) ? Future.succeededFuture(m)
                        : Future.failedFuture(ApiException.forbidden("insufficient_scope", "model",
                                "This API key may not use the model '" + m.id() + "'.")))
                .compose(m -> m.adapter() ? Future.failedFuture(ApiException.invalidParam("model", "'" + m.id()
                        + "' is a LoRA adapter of '" + m.baseModelId() + "': fine-tune the base")) : Future.succeededFuture(m))
                .compose(model -> catalog.latestVersion(model.id()).compose(v -> v.map(Future::succeededFuture)
                                .orElseGet(() -> Future.failedFuture(ApiException.modelNotFound(req.model()))))
                        .compose(version -> file(tenantId, req.trainingFile(), "training_file", model)
                                .compose(training -> req.validationFile() == null ? Future.succeededFuture(Optional.<FileRecord>empty())
                                        : file(tenantId, req.validationFile(), "validation_file", model).map(Optional::of))
                                .compose(validation -> budget(tenantId).map(validation))
                                .compose(validation -> jobs.create(Ids.fineTuningJob(), tenantId, "fine_tuning",
                                        JobRecord.VALIDATING_FILES, req.priority(), req.gpuFlavors(), req.gpus(),
                                        spec(req, model, version))))
                .onSuccess(job -> revalidate(tenantId, job, req)));
    }

    private Future<FileRecord> file(String tenantId, String id, String param, ModelRecord model) {
        // Classifiers and encoders (fine-tuned into classifiers) train on {"text","label"}; generators on prompts.
        String wanted = model.task() == ModelTask.TEXT_GENERATION ? JsonlValidator.GENERATION : JsonlValidator.CLASSIFICATION;
        return files.find(tenantId, id).compose(f -> {
            if (f == null) {
                return Future.failedFuture(ApiException.badRequest("invalid_file", param, "No file '" + id + "'."));
            }
            if (!"fine-tune".equals(f.purpose())) {
                return Future.failedFuture(ApiException.badRequest("invalid_file", param, "File '" + id + "' was uploaded for "
                        + f.purpose() + ", not fine-tune."));
            }
            if (!wanted.equals(f.format())) {
                return Future.failedFuture(ApiException.badRequest("invalid_file", param, "File '" + id + "' holds " + f.format()
                        + " examples; model '" + model.id() + "' (" + model.task().wireName() + ") trains on " + wanted + " examples."));
            }
            return Future.succeededFuture(f);
        });
    }

    /** Refuses a new job when the month's fine-tuning worker-seconds are used up. */
    private Future<Void> budget(String tenantId) {
        return new FineTuningBudget(budgets, jobs).use(tenantId, 0, java.time.Instant.now()).compose(use -> use.exceeded()
                ? Future.failedFuture(new ApiException(402, "insufficient_quota", "quota_exceeded", null, use.message(), null))
                : Future.succeededFuture());
    }

    private static JsonObject spec(FineTuningRequest req, ModelRecord model, ModelCatalogRepository.Version version) {
        return new JsonObject().put("model", model.id()).put("base_version", version.version())
                .put("base_artifact_uri", version.artifactUri()).put("task", model.task().wireName())
                .put("training_file", req.trainingFile()).put("validation_file", req.validationFile())
                .put("hyperparameters", req.hyperparameters()).put("suffix", req.suffix()).put("seed", req.seed());
    }

    /** The files' content, checked again now that the job exists; the job is queued or failed accordingly. */
    private void revalidate(String tenantId, JobRecord job, FineTuningRequest req) {
        Future<String> training = check(tenantId, req.trainingFile());
        Future<String> validation = req.validationFile() == null ? Future.succeededFuture(null) : check(tenantId, req.validationFile());
        Future.all(training, validation)
                .compose(v -> jobs.validated(job.id(), training.result() != null ? training.result() : validation.result()))
                .onFailure(e -> LOG.warn("job {}: validation failed: {}", job.id(), e.toString()));
    }

    private Future<String> check(String tenantId, String fileId) {
        return files.find(tenantId, fileId).compose(f -> f == null ? Future.succeededFuture("file " + fileId + " was deleted")
                : vertx.executeBlocking(() -> {
                    // A sealed file: its tenant's key comes from the gateway's key source (it is the tenant's file, found above).
                    try (BufferedReader in = io.lmaas.core.crypto.Artifacts.newBufferedReader(ArtifactStore.path(f.artifactUri()))) {
                        JsonlValidator.Result r = JsonlValidator.validate(in, "fine-tune");
                        return r.valid() ? null : "file " + fileId + " is not valid: " + r.summary();
                    }
                }, false));
    }

    public Future<JobRecord> cancel(String tenantId, String id) {
        return own(tenantId, id).compose(j -> jobs.cancel(id).compose(cancelled -> cancelled ? jobs.find(id)
                : Future.failedFuture(ApiException.badRequest("invalid_request", null, "Job '" + id + "' has already "
                        + j.status() + "; only jobs that have not ended can be cancelled."))));
    }

    public Future<JobRecord> own(String tenantId, String id) {
        return jobs.find(id).compose(j -> j != null && j.tenantId().equals(tenantId) && "fine_tuning".equals(j.kind())
                ? Future.succeededFuture(j)
                : Future.failedFuture(ApiException.notFound("fine_tuning_job_not_found", "No fine-tuning job '" + id + "'.")));
    }
}
