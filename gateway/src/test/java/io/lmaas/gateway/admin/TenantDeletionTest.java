package io.lmaas.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deleting a tenant over the admin API, against a real PostgreSQL and artifact store: its key stops working, its
 * files, models and jobs are gone from the database and the disk, other tenants keep theirs, the ledger is kept (the
 * tenant's name gone) or deleted as asked, and a tenant with work running is refused until it ends.
 */
class TenantDeletionTest {
    private static Gateways gateways;
    private static StandInWorker worker;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("clf", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
        worker.close();
    }

    private static long count(String sql, String tenant) throws Exception {
        return gateways.pool.preparedQuery(sql).execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).iterator().next().getLong(0);
    }

    private static String upload(String key) throws Exception {
        Path file = Files.createTempFile("tenant-file", ".jsonl");
        Files.writeString(file, ("{\"text\": \"a good day\", \"label\": \"pos\"}\n{\"text\": \"a bad day\", \"label\": \"neg\"}\n")
                .repeat(10));
        MultipartForm form = MultipartForm.create().textFileUpload("file", "train.jsonl", file.toString(), "application/jsonl")
                .attribute("purpose", "fine-tune");
        HttpResponse<Buffer> r = gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/files").bearerTokenAuthentication(key)
                .sendMultipartForm(form).await(30, TimeUnit.SECONDS);
        Files.delete(file);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject().getString("id");
    }

    private static HttpResponse<Buffer> classify(String key) throws Exception {
        return gateways.call(0, HttpMethod.POST, "/v1/classifications", key, "{\"model\": \"clf\", \"input\": \"a good day\"}");
    }

    @Test
    void aDeletedTenantLeavesNothingButItsBill() throws Exception {
        String doomed = gateways.tenant("doomed-co");
        String kept = gateways.tenant("kept-co");
        String key = gateways.key(doomed);
        String otherKey = gateways.key(kept);
        gateways.awaitModel("clf", key);
        assertThat(classify(key).statusCode()).isEqualTo(200);
        upload(key);
        String otherFile = upload(otherKey);
        gateways.model("doomed-private", ModelTask.TEXT_CLASSIFICATION, doomed);
        Path version = gateways.artifacts.resolve("models").resolve("doomed-private").resolve("1");
        Files.createDirectories(version);
        Files.writeString(version.resolve("config.json"), "{}");
        new JobRepository(gateways.pool).create("ftjob-doomed", doomed, "fine_tuning", 0, List.of(), 0, new JsonObject())
                .await(10, TimeUnit.SECONDS);
        Path checkpoint = Files.createDirectories(gateways.artifacts.resolve("jobs").resolve("ftjob-doomed"));

        // Work still running: refused, nothing removed.
        HttpResponse<Buffer> busy = gateways.admin(HttpMethod.DELETE, "/tenants/" + doomed, null);
        assertThat(busy.statusCode()).as(busy.bodyAsString()).isEqualTo(409);
        assertThat(busy.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("tenant_busy");
        assertThat(busy.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("ftjob-doomed");
        assertThat(classify(key).statusCode()).isEqualTo(200);
        gateways.pool.preparedQuery("UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE id = 'ftjob-doomed'")
                .execute().await(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(5)).until(() -> count("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1", doomed) >= 2);
        long ledgerRows = count("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1", doomed);
        assertThat(gateways.admin(HttpMethod.DELETE, "/tenants/" + doomed + "?ledger=sometimes", null).statusCode()).isEqualTo(400);
        HttpResponse<Buffer> deleted = gateways.admin(HttpMethod.DELETE, "/tenants/" + doomed, null);
        assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
        JsonObject removed = deleted.bodyAsJsonObject().getJsonObject("removed");
        assertThat(deleted.bodyAsJsonObject().getString("ledger")).isEqualTo("kept");
        assertThat(removed.getLong("keys")).isEqualTo(1);
        assertThat(removed.getLong("files")).isEqualTo(1);
        assertThat(removed.getLong("models")).isEqualTo(1);
        assertThat(removed.getLong("jobs")).isEqualTo(1);

        // The key is refused at once (every gateway within a second), the tenant and its objects are gone.
        await().atMost(Duration.ofSeconds(2)).until(() -> classify(key).statusCode() == 401);
        assertThat(gateways.admin(HttpMethod.GET, "/tenants/" + doomed, null).statusCode()).isEqualTo(404);
        assertThat(gateways.admin(HttpMethod.GET, "/tenants", null).bodyAsString()).doesNotContain(doomed, "doomed-co");
        assertThat(gateways.admin(HttpMethod.DELETE, "/tenants/" + doomed, null).statusCode()).isEqualTo(404);
        for (String table : List.of("api_keys", "files", "jobs", "tenant_limits")) {
            assertThat(count("SELECT count(*) FROM " + table + " WHERE tenant_id = $1", doomed)).as(table).isZero();
        }
        assertThat(count("SELECT count(*) FROM models WHERE owner_tenant_id = $1", doomed)).isZero();
        assertThat(gateways.artifacts.resolve("files").resolve(doomed)).doesNotExist();
        assertThat(version.getParent()).doesNotExist();
        assertThat(checkpoint).doesNotExist();
        // The bill stays, without the tenant's name; the deletion is in the audit log.
        assertThat(count("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1", doomed)).isEqualTo(ledgerRows).isPositive();
        assertThat(gateways.pool.preparedQuery("SELECT name FROM tenants WHERE id = $1").execute(Tuple.of(doomed))
                .await(10, TimeUnit.SECONDS).iterator().next().getString("name")).isEqualTo("deleted-" + doomed);
        assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'tenant.delete' AND tenant_id = $1", doomed)).isEqualTo(1);
        // Another tenant keeps everything; the name is free again.
        assertThat(classify(otherKey).statusCode()).isEqualTo(200);
        assertThat(gateways.artifacts.resolve("files").resolve(kept).resolve(otherFile + ".jsonl")).exists();
        assertThat(gateways.admin(HttpMethod.POST, "/tenants", new JsonObject().put("name", "doomed-co")).statusCode()).isEqualTo(201);
    }

    @Test
    void theLedgerGoesTooWhenTheOperatorSaysSo() throws Exception {
        String tenant = gateways.tenant("gone-co");
        String key = gateways.key(tenant);
        gateways.awaitModel("clf", key);
        assertThat(classify(key).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> count("SELECT count(*) FROM usage_ledger WHERE tenant_id = $1", tenant) > 0);
        HttpResponse<Buffer> deleted = gateways.admin(HttpMethod.DELETE, "/tenants/" + tenant + "?ledger=delete", null);
        assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
        assertThat(deleted.bodyAsJsonObject().getString("ledger")).isEqualTo("deleted");
        for (String table : List.of("usage_ledger", "usage_daily", "usage_hourly")) {
            assertThat(count("SELECT count(*) FROM " + table + " WHERE tenant_id = $1", tenant)).as(table).isZero();
        }
        assertThat(count("SELECT count(*) FROM tenants WHERE id = $1", tenant)).isZero();
    }
}
