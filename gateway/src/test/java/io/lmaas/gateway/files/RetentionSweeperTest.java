package io.lmaas.gateway.files;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retention against a real PostgreSQL and artifact store: the sweeper removes what each tenant's settings make due —
 * and nothing else: not another tenant's files, not a file a running job uses, not what is still within its days — and
 * audits each removal with its reason.
 */
class RetentionSweeperTest {
    private static Gateways gateways;
    private static ArtifactStore store;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        store = new ArtifactStore(gateways.artifacts);
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
    }

    /** A file of {@code purpose}, {@code ageDays} old, with content in the store. */
    private static Path file(String tenant, String id, String purpose, int ageDays) throws Exception {
        Path path = store.file(tenant, id);
        Files.createDirectories(path.getParent());
        Files.writeString(path, "{\"text\": \"x\", \"label\": \"a\"}\n");
        gateways.pool.preparedQuery("INSERT INTO files (id, tenant_id, purpose, filename, bytes, artifact_uri, created_at)"
                + " VALUES ($1, $2, $3, 'f.jsonl', 30, $4, now() - make_interval(days => $5))")
                .execute(Tuple.of(id, tenant, purpose, ArtifactStore.uri(path), ageDays)).await(10, TimeUnit.SECONDS);
        return path;
    }

    private static void job(String tenant, String id, String trainingFile, boolean finished) throws Exception {
        gateways.pool.preparedQuery("INSERT INTO jobs (id, tenant_id, kind, status, spec, finished_at) VALUES ($1, $2, 'fine_tuning',"
                + " $3, $4, CASE WHEN $5 THEN now() ELSE NULL END)").execute(Tuple.of(id, tenant, finished ? "succeeded" : "running",
                        new JsonObject().put("training_file", trainingFile), finished)).await(10, TimeUnit.SECONDS);
    }

    private static void retention(String tenant, JsonObject settings) throws Exception {
        var r = gateways.admin(HttpMethod.PUT, "/tenants/" + tenant + "/retention", settings);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    }

    @Test
    void dueFilesGoAndAreAuditedAndNothingElse() throws Exception {
        String days = gateways.tenant("retention-days");
        String none = gateways.tenant("retention-none");
        String zero = gateways.tenant("retention-zero");
        retention(days, new JsonObject().put("files_days", 1).put("batch_outputs_days", 3));
        retention(zero, new JsonObject().put("zero_retention", true));
        assertThat(gateways.admin(HttpMethod.PUT, "/tenants/" + days + "/retention", new JsonObject().put("files_days", 0))
                .statusCode()).isEqualTo(400);
        assertThat(gateways.admin(HttpMethod.GET, "/tenants/" + days + "/retention", null).bodyAsJsonObject()
                .getInteger("files_days")).isEqualTo(1);

        Path oldUpload = file(days, "file-old", "fine-tune", 2);
        Path freshUpload = file(days, "file-fresh", "fine-tune", 0);
        Path inUse = file(days, "file-in-use", "fine-tune", 2);
        job(days, "ftjob-running", "file-in-use", false);
        Path output2 = file(days, "file-out-2d", "batch_output", 2);
        Path output4 = file(days, "file-out-4d", "batch_output", 4);
        Path kept = file(none, "file-none-old", "fine-tune", 400);
        Path trained = file(zero, "file-trained", "fine-tune", 0);
        job(zero, "ftjob-done", "file-trained", true);
        Path untrained = file(zero, "file-untrained", "fine-tune", 0);
        Path downloaded = file(zero, "file-downloaded", "batch_output", 0);
        Path waiting = file(zero, "file-waiting", "batch_output", 0);
        Path dayOld = file(zero, "file-day-old", "batch_output", 2);
        // A download through the API is what zero retention waits for.
        String key = gateways.key(zero);
        assertThat(gateways.call(0, HttpMethod.GET, "/v1/files/file-downloaded/content", key, null).statusCode()).isEqualTo(200);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> gateways.pool
                .preparedQuery("SELECT downloaded_at FROM files WHERE id = 'file-downloaded'").execute().await(10, TimeUnit.SECONDS)
                .iterator().next().getValue(0) != null);

        RetentionSweeper sweeper = new RetentionSweeper(gateways.clientVertx(), gateways.pool, store.uploads(),
                java.time.Duration.ofMinutes(15));
        assertThat(sweeper.runOnce().await(30, TimeUnit.SECONDS)).isEqualTo(5);
        assertThat(sweeper.runOnce().await(30, TimeUnit.SECONDS)).isZero();

        for (Path gone : new Path[] {oldUpload, output4, trained, downloaded, dayOld}) {
            assertThat(gone).as("due").doesNotExist();
        }
        for (Path stays : new Path[] {freshUpload, inUse, output2, kept, untrained, waiting}) {
            assertThat(stays).as("not due").exists();
        }
        assertThat(gateways.call(0, HttpMethod.GET, "/v1/files/file-downloaded", key, null).statusCode()).isEqualTo(404);
        var audited = gateways.pool.preparedQuery("SELECT target_id, after->>'reason' AS reason FROM audit_log"
                + " WHERE action = 'file.expire' AND actor = 'system:retention' AND tenant_id = ANY($1) ORDER BY target_id")
                .execute(Tuple.tuple().addArrayOfString(new String[] {days, none, zero})).await(10, TimeUnit.SECONDS);
        java.util.Map<String, String> reasons = new java.util.TreeMap<>();
        audited.forEach(r -> reasons.put(r.getString("target_id"), r.getString("reason")));
        assertThat(reasons).containsOnlyKeys("file-old", "file-out-4d", "file-trained", "file-downloaded", "file-day-old");
        assertThat(reasons.get("file-old")).isEqualTo("retention period");
        assertThat(reasons.get("file-trained")).contains("job ended");
        assertThat(reasons.get("file-downloaded")).contains("downloaded");
    }

    @Test
    void uploadLeftoversOlderThanAnUploadMayTakeGoAndNothingElse() throws Exception {
        Path area = Files.createDirectories(store.uploads());
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(16 * 60));
        Path leftover = Files.writeString(area.resolve("leftover-upload"), "{\"text\": \"a tenant's words\"}\n");
        Files.setLastModifiedTime(leftover, old);
        Path live = Files.writeString(area.resolve("live-upload"), "{\"text\": \"still arriving\"}\n");
        Path work = Files.createDirectories(area.resolve("model-work"));
        Files.setLastModifiedTime(work, old);

        RetentionSweeper sweeper = new RetentionSweeper(gateways.clientVertx(), gateways.pool, store.uploads(),
                java.time.Duration.ofMinutes(15));
        assertThat(sweeper.removeUploadLeftovers().await(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(leftover).doesNotExist();
        assertThat(live).exists();
        assertThat(work).exists();
        Files.delete(live);
        Files.delete(work);
    }
}
