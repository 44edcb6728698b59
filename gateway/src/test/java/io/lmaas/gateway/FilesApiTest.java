package io.lmaas.gateway;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /v1/files} over real HTTP (multipart, streamed to disk) with a real PostgreSQL. */
class FilesApiTest {
    private static Gateways gateways;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
    }

    private static HttpResponse<Buffer> upload(String key, String purpose, Path file) throws Exception {
        MultipartForm form = MultipartForm.create().textFileUpload("file", file.getFileName().toString(), file.toString(),
                "application/jsonl");
        if (purpose != null) {
            form.attribute("purpose", purpose);
        }
        return gateways.http.post(gateways.port(0), "127.0.0.1", "/v1/files").bearerTokenAuthentication(key)
                .sendMultipartForm(form).await(30, TimeUnit.SECONDS);
    }

    private static HttpResponse<Buffer> call(HttpMethod method, String path, String key, String body) throws Exception {
        return gateways.call(0, method, path, key, body);
    }

    @Test
    void uploadListGetContentAndDelete(@TempDir Path tmp) throws Exception {
        String acme = gateways.tenant("files-acme");
        String key = gateways.key(acme);
        String otherKey = gateways.key(gateways.tenant("files-other"));
        String content = "{\"text\":\"a lemon tart\",\"label\":\"cooking\"}\n{\"text\":\"a minor chord\",\"label\":\"music\"}\n";
        Path file = Files.writeString(tmp.resolve("train.jsonl"), content);

        HttpResponse<Buffer> ok = upload(key, "fine-tune", file);
        assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
        JsonObject f = ok.bodyAsJsonObject();
        assertThat(f.getString("id")).startsWith("file-");
        assertThat(f.getString("object")).isEqualTo("file");
        assertThat(f.getString("purpose")).isEqualTo("fine-tune");
        assertThat(f.getString("filename")).isEqualTo("train.jsonl");
        assertThat(f.getLong("bytes")).isEqualTo(content.getBytes(StandardCharsets.UTF_8).length);
        assertThat(f.getString("format")).isEqualTo("classification");
        assertThat(f.getInteger("lines")).isEqualTo(2);
        String id = f.getString("id");

        assertThat(call(HttpMethod.GET, "/v1/files", key, null).bodyAsJsonObject().getJsonArray("data")).hasSize(1);
        assertThat(call(HttpMethod.GET, "/v1/files?purpose=batch", key, null).bodyAsJsonObject().getJsonArray("data")).isEmpty();
        assertThat(call(HttpMethod.GET, "/v1/files/" + id, key, null).bodyAsJsonObject().getString("filename")).isEqualTo("train.jsonl");
        assertThat(call(HttpMethod.GET, "/v1/files/" + id + "/content", key, null).bodyAsString()).isEqualTo(content);
        assertThat(call(HttpMethod.GET, "/v1/files/" + id, otherKey, null).statusCode()).isEqualTo(404);
        assertThat(call(HttpMethod.GET, "/v1/files/" + id + "/content", otherKey, null).statusCode()).isEqualTo(404);
        assertThat(call(HttpMethod.GET, "/v1/files", otherKey, null).bodyAsJsonObject().getJsonArray("data")).isEmpty();

        HttpResponse<Buffer> deleted = call(HttpMethod.DELETE, "/v1/files/" + id, key, null);
        assertThat(deleted.bodyAsJsonObject().getBoolean("deleted")).isTrue();
        assertThat(call(HttpMethod.GET, "/v1/files/" + id, key, null).statusCode()).isEqualTo(404);
        assertThat(Files.list(gateways.artifacts.resolve("files").resolve(acme))).isEmpty();
    }

    @Test
    void badFilesAreRefusedWithTheLineAndField(@TempDir Path tmp) throws Exception {
        String key = gateways.key(gateways.tenant("files-bad"));
        Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\"}\n");
        HttpResponse<Buffer> r = upload(key, "fine-tune", bad);
        assertThat(r.statusCode()).isEqualTo(400);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("invalid_file");
        assertThat(error.getString("param")).isEqualTo("file");
        assertThat(error.getString("message")).contains("line 2: missing \"label\"");

        Path ok = Files.writeString(tmp.resolve("ok.jsonl"), "{\"custom_id\":\"1\",\"body\":{\"input\":\"x\"}}\n");
        HttpResponse<Buffer> purpose = upload(key, "assistants", ok);
        assertThat(purpose.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("purpose");
        assertThat(upload(key, null, ok).statusCode()).isEqualTo(400);

        Path big = tmp.resolve("big.jsonl");
        String line = "{\"custom_id\":\"%d\",\"body\":{\"input\":\"" + "x".repeat(1000) + "\"}}\n";
        try (var w = Files.newBufferedWriter(big)) {
            for (int i = 0; i < 5000; i++) {
                w.write(String.format(line, i));
            }
        }
        HttpResponse<Buffer> unsigned = upload("lm-nokey-secret", "batch", big);
        assertThat(unsigned.statusCode()).as("refused before the body is read").isEqualTo(401);
        HttpResponse<Buffer> tooBig = upload(key, "batch", big);
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(tooBig.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("request_too_large");
        assertThat(call(HttpMethod.GET, "/v1/files", key, null).bodyAsJsonObject().getJsonArray("data")).isEmpty();
    }
}
