package io.lmaas.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key lifecycle over real HTTP on two gateway instances sharing one PostgreSQL. */
class KeysApiTest {
    private static Gateways gateways;
    private static StandInWorker worker;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(2, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("m-a", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
        gateways.model("m-b", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    private static int classify(int instance, String key, String model) throws Exception {
        return gateways.call(instance, HttpMethod.POST, "/v1/classifications", key,
                new JsonObject().put("model", model).put("input", "a good day").encode()).statusCode();
    }

    @Test
    void createdKeysAreShownOnceThenMasked() throws Exception {
        String tenant = gateways.tenant("masked-co");
        JsonObject created = gateways.key(tenant, new JsonObject().put("name", "ci"));
        String token = created.getString("key");
        String secret = token.substring(token.lastIndexOf('-') + 1);
        assertThat(created.getString("redacted_key")).endsWith(secret.substring(secret.length() - 4)).doesNotContain(secret);

        HttpResponse<Buffer> list = gateways.admin(HttpMethod.GET, "/tenants/" + tenant + "/keys", null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.bodyAsString()).doesNotContain(secret);
        assertThat(list.bodyAsJsonObject().getJsonArray("data")).hasSize(1);
        HttpResponse<Buffer> one = gateways.admin(HttpMethod.GET, "/tenants/" + tenant + "/keys/" + created.getString("id"), null);
        assertThat(one.bodyAsJsonObject().getString("name")).isEqualTo("ci");
        assertThat(one.bodyAsJsonObject().containsKey("key")).isFalse();
    }

    @Test
    void anotherTenantsKeyIsNotFoundOnEveryKeyEndpoint() throws Exception {
        String owner = gateways.tenant("key-owner");
        String other = gateways.tenant("key-other");
        String keyId = gateways.key(owner, new JsonObject()).getString("id");
        String base = "/tenants/" + other + "/keys/" + keyId;
        for (HttpResponse<Buffer> r : List.of(
                gateways.admin(HttpMethod.GET, base, null),
                gateways.admin(HttpMethod.DELETE, base, null),
                gateways.admin(HttpMethod.POST, base + "/rotate", new JsonObject()),
                gateways.admin(HttpMethod.PUT, base + "/limits", new JsonObject().put("rpm", 1)))) {
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(404);
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("api_key_not_found");
        }
        assertThat(gateways.admin(HttpMethod.GET, "/tenants/" + owner + "/keys/" + keyId, null).bodyAsJsonObject()
                .getValue("revoked_at")).isNull();
    }

    @Test
    void revocationTakesEffectOnEveryInstanceWithinASecond() throws Exception {
        String tenant = gateways.tenant("revoke-co");
        JsonObject key = gateways.key(tenant, new JsonObject());
        gateways.awaitModel("m-a", key.getString("key"));
        assertThat(classify(0, key.getString("key"), "m-a")).isEqualTo(200);
        assertThat(classify(1, key.getString("key"), "m-a")).isEqualTo(200);

        HttpResponse<Buffer> revoked = gateways.admin(HttpMethod.DELETE, "/tenants/" + tenant + "/keys/" + key.getString("id"), null);
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(revoked.bodyAsJsonObject().getLong("revoked_at")).isNotNull();
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> classify(1, key.getString("key"), "m-a") == 401 && classify(0, key.getString("key"), "m-a") == 401);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void rotationKeepsTheOldSecretForTheGracePeriodOnly() throws Exception {
        String tenant = gateways.tenant("rotate-co");
        JsonObject key = gateways.key(tenant, new JsonObject());
        String old = key.getString("key");
        gateways.awaitModel("m-a", old);
        assertThat(classify(1, old, "m-a")).isEqualTo(200);

        HttpResponse<Buffer> rotated = gateways.admin(HttpMethod.POST, "/tenants/" + tenant + "/keys/" + key.getString("id")
                + "/rotate", new JsonObject().put("grace_period_seconds", 60));
        assertThat(rotated.statusCode()).as(rotated.bodyAsString()).isEqualTo(200);
        String fresh = rotated.bodyAsJsonObject().getString("key");
        assertThat(fresh).isNotEqualTo(old).startsWith("lm-" + key.getString("id") + "-");
        assertThat(classify(1, fresh, "m-a")).isEqualTo(200);
        assertThat(classify(1, old, "m-a")).isEqualTo(200);

        HttpResponse<Buffer> again = gateways.admin(HttpMethod.POST, "/tenants/" + tenant + "/keys/" + key.getString("id")
                + "/rotate", new JsonObject().put("grace_period_seconds", 0));
        String newest = again.bodyAsJsonObject().getString("key");
        await().atMost(Duration.ofSeconds(1)).until(() -> classify(1, fresh, "m-a") == 401 && classify(0, old, "m-a") == 401);
        assertThat(classify(0, newest, "m-a")).isEqualTo(200);
        assertThat(gateways.admin(HttpMethod.POST, "/tenants/" + tenant + "/keys/" + key.getString("id") + "/rotate",
                new JsonObject().put("grace_period_seconds", -5)).statusCode()).isEqualTo(400);
    }

    @Test
    void scopesLimitModelsAndEndpointFamilies() throws Exception {
        String tenant = gateways.tenant("scoped-co");
        String onlyA = gateways.key(tenant, new JsonObject().put("scopes", new JsonObject()
                .put("models", new JsonArray().add("m-a")))).getString("key");
        String filesOnly = gateways.key(tenant, new JsonObject().put("scopes", new JsonObject()
                .put("endpoints", new JsonArray().add("files")))).getString("key");
        gateways.awaitModel("m-a", onlyA);

        assertThat(classify(0, onlyA, "m-a")).isEqualTo(200);
        HttpResponse<Buffer> denied = gateways.call(0, HttpMethod.POST, "/v1/classifications", onlyA,
                new JsonObject().put("model", "m-b").put("input", "x").encode());
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("insufficient_scope");
        assertThat(gateways.call(0, HttpMethod.GET, "/v1/models", onlyA, null).bodyAsJsonObject().getJsonArray("data").stream()
                .map(o -> ((JsonObject) o).getString("id")).toList()).containsExactly("m-a");
        assertThat(classify(0, filesOnly, "m-a")).isEqualTo(403);
        assertThat(gateways.call(0, HttpMethod.GET, "/v1/usage", filesOnly, null).statusCode()).isEqualTo(200);

        HttpResponse<Buffer> badScope = gateways.admin(HttpMethod.POST, "/tenants/" + tenant + "/keys", new JsonObject()
                .put("name", "x").put("scopes", new JsonObject().put("endpoints", new JsonArray().add("everything"))));
        assertThat(badScope.statusCode()).isEqualTo(400);
        assertThat(badScope.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("scopes.endpoints");
    }

    @Test
    void expiredKeysAreRefused() throws Exception {
        String tenant = gateways.tenant("expiry-co");
        String key = gateways.key(tenant, new JsonObject().put("expires_at", Instant.now().getEpochSecond() + 2))
                .getString("key");
        gateways.awaitModel("m-a", key);
        assertThat(classify(0, key, "m-a")).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> classify(0, key, "m-a") == 401);
        assertThat(gateways.admin(HttpMethod.POST, "/tenants/" + tenant + "/keys", new JsonObject().put("name", "x")
                .put("expires_at", 1000)).statusCode()).isEqualTo(400);
    }

    @Test
    void everyKeyMutationIsAuditedWithoutItsSecret() throws Exception {
        String tenant = gateways.tenant("audited-co");
        JsonObject key = gateways.key(tenant, new JsonObject());
        String path = "/tenants/" + tenant + "/keys/" + key.getString("id");
        String rotated = gateways.admin(HttpMethod.POST, path + "/rotate", new JsonObject()).bodyAsJsonObject().getString("key");
        gateways.admin(HttpMethod.PUT, path + "/limits", new JsonObject().put("rpm", 10));
        gateways.admin(HttpMethod.DELETE, path, null);
        gateways.limits(tenant, new JsonObject().put("tpm", 1000));

        JsonObject audit = gateways.admin(HttpMethod.GET, "/audit?tenant_id=" + tenant, null).bodyAsJsonObject();
        List<String> actions = audit.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("action")).toList();
        assertThat(actions).containsExactly("tenant.limits", "api_key.revoke", "api_key.limits", "api_key.rotate",
                "api_key.create", "tenant.create");
        JsonObject revoke = audit.getJsonArray("data").getJsonObject(1);
        assertThat(revoke.getJsonObject("before").getValue("revoked_at")).isNull();
        assertThat(revoke.getJsonObject("after").getLong("revoked_at")).isNotNull();
        assertThat(revoke.getString("actor")).isEqualTo(AdminTokenAuthenticator.ACTOR);
        for (String token : List.of(key.getString("key"), rotated)) {
            assertThat(audit.encode()).doesNotContain(token.substring(token.lastIndexOf('-') + 1));
        }
        JsonObject page = gateways.admin(HttpMethod.GET, "/audit?tenant_id=" + tenant + "&limit=2", null).bodyAsJsonObject();
        JsonObject next = gateways.admin(HttpMethod.GET, "/audit?tenant_id=" + tenant + "&limit=2&before="
                + page.getString("last_id"), null).bodyAsJsonObject();
        assertThat(next.getJsonArray("data").getJsonObject(0).getString("action")).isEqualTo("api_key.limits");
    }
}
