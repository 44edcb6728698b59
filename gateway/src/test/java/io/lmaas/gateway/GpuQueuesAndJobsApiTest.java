package io.lmaas.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin side of GPU admission (tenants' GPU queues, GPU deployments) and the tenant side: a tenant
 * sees its fine-tuning jobs, why they wait and their events — and nobody else's.
 */
class GpuQueuesAndJobsApiTest {
    private static Gateways gateways;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
    }

    private static HttpResponse<Buffer> call(HttpMethod method, String path, String bearer, String body) throws Exception {
        return gateways.call(0, method, path, bearer, body);
    }

    @Test
    void gpuQueuesAreValidatedStoredAndAudited() throws Exception {
        String tenant = gateways.tenant("gpu-queue-co");
        assertThat(call(HttpMethod.GET, "/admin/v1/tenants/" + tenant + "/gpu-queue", Gateways.ADMIN, null).bodyAsJsonObject()
                .getJsonObject("nominal")).isEmpty();
        HttpResponse<Buffer> bad = call(HttpMethod.PUT, "/admin/v1/tenants/" + tenant + "/gpu-queue", Gateways.ADMIN,
                "{\"weight\":0,\"nominal\":{\"h100\":4}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("weight");
        HttpResponse<Buffer> badCount = call(HttpMethod.PUT, "/admin/v1/tenants/" + tenant + "/gpu-queue", Gateways.ADMIN,
                "{\"nominal\":{\"h100\":-1}}");
        assertThat(badCount.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("nominal.h100");
        HttpResponse<Buffer> ok = call(HttpMethod.PUT, "/admin/v1/tenants/" + tenant + "/gpu-queue", Gateways.ADMIN,
                "{\"weight\":3,\"cohort\":\"research\",\"nominal\":{\"h100\":4},\"borrowing_limit\":{\"h100\":2}}");
        assertThat(ok.statusCode()).isEqualTo(200);
        JsonObject q = call(HttpMethod.GET, "/admin/v1/tenants/" + tenant + "/gpu-queue", Gateways.ADMIN, null).bodyAsJsonObject();
        assertThat(q.getInteger("weight")).isEqualTo(3);
        assertThat(q.getString("cohort")).isEqualTo("research");
        assertThat(q.getJsonObject("nominal").getInteger("h100")).isEqualTo(4);
        assertThat(q.getJsonObject("borrowing_limit").getInteger("h100")).isEqualTo(2);
        assertThat(call(HttpMethod.PUT, "/admin/v1/tenants/tn-nope/gpu-queue", Gateways.ADMIN, "{}").statusCode()).isEqualTo(404);
        JsonArray audit = call(HttpMethod.GET, "/admin/v1/audit?tenant_id=" + tenant, Gateways.ADMIN, null).bodyAsJsonObject()
                .getJsonArray("data");
        assertThat(audit.stream().map(o -> ((JsonObject) o).getString("action"))).contains("tenant.gpu_queue");
    }

    @Test
    void gpuDeploymentsRecordWhatEachReplicaNeeds() throws Exception {
        gateways.model("gpu-model", ModelTask.TEXT_GENERATION, null);
        HttpResponse<Buffer> bad = call(HttpMethod.POST, "/admin/v1/deployments", Gateways.ADMIN,
                "{\"model\":\"gpu-model\",\"version\":\"1\",\"replicas\":1,\"gpu\":{\"count\":99,\"flavor\":\"h100\"}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("gpu.count");
        HttpResponse<Buffer> ok = call(HttpMethod.POST, "/admin/v1/deployments", Gateways.ADMIN,
                "{\"model\":\"gpu-model\",\"version\":\"1\",\"replicas\":2,\"gpu\":{\"count\":2,\"flavor\":\"h100\"}}");
        assertThat(ok.statusCode()).isEqualTo(201);
        Row row = gateways.pool.preparedQuery("SELECT gpu_count, gpu_flavor, desired_revision, synced_revision FROM deployments"
                + " WHERE id = $1").execute(Tuple.of(ok.bodyAsJsonObject().getString("id"))).await(5, TimeUnit.SECONDS).iterator().next();
        assertThat(row.getInteger("gpu_count")).isEqualTo(2);
        assertThat(row.getString("gpu_flavor")).isEqualTo("h100");
        assertThat(row.getLong("desired_revision")).isGreaterThan(row.getLong("synced_revision"));
    }

    @Test
    void tenantsSeeTheirJobsWhyTheyWaitAndTheirEventsButNoOneElses() throws Exception {
        String acme = gateways.tenant("jobs-acme");
        String other = gateways.tenant("jobs-other");
        String acmeKey = gateways.key(acme);
        String otherKey = gateways.key(other);
        JobRepository jobs = new JobRepository(gateways.pool);
        jobs.create("ftjob-acme1", acme, "fine_tuning", 0, List.of("h100"), 4,
                new JsonObject().put("model", "starter-generator").put("training_file", "file-abc")).await(5, TimeUnit.SECONDS);
        jobs.waiting("ftjob-acme1", "InsufficientQuota: tenant " + acme + " uses 4/4 h100, needs 4 more").await(5, TimeUnit.SECONDS);

        JsonObject job = call(HttpMethod.GET, "/v1/fine_tuning/jobs/ftjob-acme1", acmeKey, null).bodyAsJsonObject();
        assertThat(job.getString("object")).isEqualTo("fine_tuning.job");
        assertThat(job.getString("status")).isEqualTo("queued");
        assertThat(job.getString("status_reason")).isEqualTo("InsufficientQuota: tenant " + acme + " uses 4/4 h100, needs 4 more");
        assertThat(job.getString("model")).isEqualTo("starter-generator");
        assertThat(job.getJsonObject("gpu").getInteger("count")).isEqualTo(4);

        JsonArray events = call(HttpMethod.GET, "/v1/fine_tuning/jobs/ftjob-acme1/events", acmeKey, null).bodyAsJsonObject()
                .getJsonArray("data");
        assertThat(events).hasSize(2);
        assertThat(events.getJsonObject(0).getString("message")).startsWith("InsufficientQuota");
        assertThat(events.getJsonObject(0).getString("object")).isEqualTo("fine_tuning.job.event");
        assertThat(events.getJsonObject(1).getJsonObject("data").getString("event")).isEqualTo("queued");

        assertThat(call(HttpMethod.GET, "/v1/fine_tuning/jobs", acmeKey, null).bodyAsJsonObject().getJsonArray("data")).hasSize(1);
        assertThat(call(HttpMethod.GET, "/v1/fine_tuning/jobs", otherKey, null).bodyAsJsonObject().getJsonArray("data")).isEmpty();
        HttpResponse<Buffer> foreign = call(HttpMethod.GET, "/v1/fine_tuning/jobs/ftjob-acme1", otherKey, null);
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(foreign.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("fine_tuning_job_not_found");
        assertThat(call(HttpMethod.GET, "/v1/fine_tuning/jobs/ftjob-acme1/events", otherKey, null).statusCode()).isEqualTo(404);

        String inferenceOnly = gateways.key(acme, new JsonObject().put("name", "inference-only")
                .put("scopes", new JsonObject().put("endpoints", new JsonArray().add("inference")))).getString("key");
        assertThat(call(HttpMethod.GET, "/v1/fine_tuning/jobs/ftjob-acme1", inferenceOnly, null).statusCode()).isEqualTo(403);
    }
}
