package io.lmaas.gateway.files;

import static io.lmaas.core.testing.Bytes.indexOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.KeyUnavailableException;
import io.lmaas.core.crypto.MasterKey;
import io.lmaas.core.crypto.MasterKeys;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.core.secrets.Secrets;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files at rest through the API: sealed with the tenant's data key on disk (no plaintext marker), streamed back in
 * the clear to their tenant; a master-key rotation through the admin API keeps them readable by a gateway that holds
 * only the new master key; a tampered file is refused; deleting the tenant destroys its key, so a backup copy of its
 * files cannot be opened by anyone.
 */
class EncryptionAtRestTest {
    private static final MasterKey OLD = MasterKey.parse(Secrets.random(32));
    private static final MasterKey NEW = MasterKey.parse(Secrets.random(32));

    private Gateways gateways;

    @AfterEach
    void stop() throws Exception {
        if (gateways != null) {
            gateways.close();
        }
    }

    private HttpResponse<Buffer> upload(int gateway, String key, Path file) throws Exception {
        return gateways.http.post(gateways.port(gateway), "127.0.0.1", "/v1/files").bearerTokenAuthentication(key)
                .sendMultipartForm(MultipartForm.create().attribute("purpose", "fine-tune")
                        .textFileUpload("file", "train.jsonl", file.toString(), "application/jsonl"))
                .await(30, TimeUnit.SECONDS);
    }

    @Test
    void filesAreSealedOnDiskAndARotationKeepsThemReadable(@TempDir Path tmp) throws Exception {
        gateways = Gateways.start(0, QuotaService.Settings.DEFAULT);
        int before = gateways.add(QuotaService.Settings.DEFAULT, new MasterKeys(OLD, List.of()));
        int during = gateways.add(QuotaService.Settings.DEFAULT, new MasterKeys(NEW, List.of(OLD)));
        int after = gateways.add(QuotaService.Settings.DEFAULT, new MasterKeys(NEW, List.of()));
        String tenant = gateways.tenant("sealed-files");
        String key = gateways.key(tenant);
        String marker = "zqx" + Long.toHexString(System.nanoTime()) + "marker";
        StringBuilder content = new StringBuilder();
        for (int i = 0; i < 40_000; i++) { // ~2.4 MB: several 1 MiB segments
            content.append("{\"text\":\"").append(marker).append(' ').append(i).append("\",\"label\":\"l").append(i % 3).append("\"}\n");
        }
        HttpResponse<Buffer> up = upload(before, key, Files.writeString(tmp.resolve("train.jsonl"), content));
        assertThat(up.statusCode()).as(up.bodyAsString()).isEqualTo(200);
        String id = up.bodyAsJsonObject().getString("id");

        Path stored = gateways.artifacts.resolve("files").resolve(tenant).resolve(id + ".jsonl");
        byte[] disk = Files.readAllBytes(stored);
        assertThat(new String(disk, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("LMAASENC");
        assertThat(indexOf(disk, marker.getBytes(StandardCharsets.UTF_8))).as("the marker on disk").isEqualTo(-1);
        assertThat(gateways.uploadArea()).as("no plaintext left in the upload area").isEmpty();
        assertThat(gateways.call(before, HttpMethod.GET, "/v1/files/" + id + "/content", key, null).bodyAsString())
                .isEqualTo(content.toString());

        // A gateway holding only the new master key cannot open the tenant's key yet: a clear 503, not a 500.
        HttpResponse<Buffer> notYet = gateways.call(after, HttpMethod.GET, "/v1/files/" + id + "/content", key, null);
        assertThat(notYet.statusCode()).isEqualTo(503);
        assertThat(notYet.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("data_key_unavailable");

        JsonObject status = gateways.call(during, HttpMethod.GET, "/admin/v1/encryption", Gateways.ADMIN, null).bodyAsJsonObject();
        assertThat(status.getString("master_key_id")).isEqualTo(NEW.id());
        assertThat(status.getJsonArray("previous_master_key_ids").getList()).containsExactly(OLD.id());
        assertThat(status.getJsonObject("data_keys").getInteger(OLD.id())).isEqualTo(1);
        HttpResponse<Buffer> rewrap = gateways.call(during, HttpMethod.POST, "/admin/v1/encryption/rewrap", Gateways.ADMIN, null);
        assertThat(rewrap.statusCode()).as(rewrap.bodyAsString()).isEqualTo(200);
        assertThat(rewrap.bodyAsJsonObject().getInteger("rewrapped")).isEqualTo(1);
        assertThat(gateways.call(during, HttpMethod.GET, "/admin/v1/encryption", Gateways.ADMIN, null).bodyAsJsonObject()
                .getJsonObject("data_keys").getMap()).containsOnlyKeys(NEW.id());
        assertThat(gateways.call(during, HttpMethod.GET, "/admin/v1/audit", Gateways.ADMIN, null).bodyAsString())
                .contains("encryption.rewrap");

        // The file was not rewritten, and the new master key alone now opens it.
        assertThat(Files.readAllBytes(stored)).isEqualTo(disk);
        assertThat(gateways.call(after, HttpMethod.GET, "/v1/files/" + id + "/content", key, null).bodyAsString())
                .isEqualTo(content.toString());
        // A tenant key cannot rotate the platform's keys.
        assertThat(gateways.call(during, HttpMethod.POST, "/admin/v1/encryption/rewrap", key, null).statusCode()).isEqualTo(401);
    }

    @Test
    void aTamperedFileIsRefusedAndADeletedTenantsBackupCannotBeOpened(@TempDir Path tmp) throws Exception {
        gateways = Gateways.start(0, QuotaService.Settings.DEFAULT);
        MasterKeys masters = new MasterKeys(OLD, List.of());
        int g = gateways.add(QuotaService.Settings.DEFAULT, masters);
        String tenant = gateways.tenant("deleted-later");
        String key = gateways.key(tenant);
        Path plain = Files.writeString(tmp.resolve("t.jsonl"), "{\"text\":\"kept secret\",\"label\":\"a\"}\n{\"text\":\"also secret\",\"label\":\"b\"}\n".repeat(10_000));
        HttpResponse<Buffer> up = upload(g, key, plain);
        assertThat(up.statusCode()).as(up.bodyAsString()).isEqualTo(200);
        String id = up.bodyAsJsonObject().getString("id");
        Path stored = gateways.artifacts.resolve("files").resolve(tenant).resolve(id + ".jsonl");
        Path backup = Files.copy(stored, tmp.resolve("backup.jsonl"));

        byte[] tampered = Files.readAllBytes(stored);
        tampered[tampered.length - 100] ^= 0x20;
        Files.write(stored, tampered);
        // The damage is in the last segment: the first went out, then the connection is reset, never a whole 200.
        boolean servedWhole;
        try {
            HttpResponse<Buffer> r = gateways.call(g, HttpMethod.GET, "/v1/files/" + id + "/content", key, null);
            servedWhole = r.statusCode() == 200 && r.bodyAsString().equals(Files.readString(plain));
        } catch (io.vertx.core.http.HttpClosedException e) {
            servedWhole = false;
        }
        assertThat(servedWhole).as("a tampered file served as whole").isFalse();

        HttpResponse<Buffer> deleted = gateways.call(g, HttpMethod.DELETE, "/admin/v1/tenants/" + tenant, Gateways.ADMIN, null);
        assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
        assertThat(deleted.bodyAsJsonObject().getJsonObject("removed").getBoolean("data_key")).isTrue();
        assertThat(gateways.pool.query("SELECT count(*) FROM tenant_data_keys").execute().await(10, TimeUnit.SECONDS)
                .iterator().next().getLong(0)).isZero();
        // The master key is still here; the tenant's data key is not: the backup is ciphertext for good.
        TenantKeys keys = new TenantKeys(gateways.pool, masters);
        Runnable source = Artifacts.resolveWith(keys::byIdBlocking);
        try {
            assertThatThrownBy(() -> Artifacts.readAllBytes(backup)).isInstanceOf(KeyUnavailableException.class);
        } finally {
            source.run();
        }
    }
}
