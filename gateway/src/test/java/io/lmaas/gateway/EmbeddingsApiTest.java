package io.lmaas.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/embeddings} in OpenAI's shape over real HTTP: inputs of every form, base64, refusals, metering. */
class EmbeddingsApiTest {
    private static Gateways gateways;
    private static StandInWorker worker;
    private static String tenant;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
        worker = StandInWorker.start();
        gateways.model("embed-mini", ModelTask.FEATURE_EXTRACTION, null, worker.url());
        gateways.model("embed-not", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
        tenant = gateways.tenant("embeddings");
        key = gateways.key(tenant);
        gateways.awaitModel("embed-mini", key);
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    private static HttpResponse<Buffer> embed(JsonObject body) throws Exception {
        return gateways.call(0, HttpMethod.POST, "/v1/embeddings", key, body.encode());
    }

    @Test
    void everyInputFormIsEmbeddedInOrderAndMetered() throws Exception {
        HttpResponse<Buffer> one = embed(new JsonObject().put("model", "embed-mini").put("input", "hello there world"));
        assertThat(one.statusCode()).as(one.bodyAsString()).isEqualTo(200);
        JsonObject body = one.bodyAsJsonObject();
        assertThat(body.getString("object")).isEqualTo("list");
        assertThat(body.getString("model")).isEqualTo("embed-mini");
        JsonObject first = body.getJsonArray("data").getJsonObject(0);
        assertThat(first.getString("object")).isEqualTo("embedding");
        assertThat(first.getInteger("index")).isZero();
        assertThat(first.getJsonArray("embedding")).isEqualTo(new JsonArray().add(17.0).add(3.0).add(1.0));
        assertThat(body.getJsonObject("usage")).isEqualTo(new JsonObject().put("prompt_tokens", 3).put("total_tokens", 3));

        JsonObject many = embed(new JsonObject().put("model", "embed-mini").put("input", new JsonArray().add("a b").add("c")))
                .bodyAsJsonObject();
        assertThat(many.getJsonArray("data")).hasSize(2);
        assertThat(many.getJsonArray("data").getJsonObject(1).getInteger("index")).isEqualTo(1);
        assertThat(many.getJsonArray("data").getJsonObject(1).getJsonArray("embedding").getFloat(1)).isEqualTo(1f);

        JsonObject ids = embed(new JsonObject().put("model", "embed-mini").put("input", new JsonArray().add(101).add(7592).add(102)))
                .bodyAsJsonObject();
        assertThat(ids.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(3);
        JsonObject idLists = embed(new JsonObject().put("model", "embed-mini").put("input", new JsonArray()
                .add(new JsonArray().add(1).add(2)).add(new JsonArray().add(3)))).bodyAsJsonObject();
        assertThat(idLists.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(3);

        JsonObject b64 = embed(new JsonObject().put("model", "embed-mini").put("input", "hello there world")
                .put("encoding_format", "base64")).bodyAsJsonObject();
        ByteBuffer raw = ByteBuffer.wrap(Base64.getDecoder().decode(b64.getJsonArray("data").getJsonObject(0).getString("embedding")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new float[] {raw.getFloat(), raw.getFloat(), raw.getFloat()}).containsExactly(17f, 3f, 1f);

        long rows = gateways.pool.preparedQuery("SELECT count(*) AS n FROM usage_ledger WHERE tenant_id = $1 AND endpoint = "
                + "'/v1/embeddings' AND status = 200").execute(Tuple.of(tenant)).await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
        assertThat(rows).isEqualTo(5);
    }

    @Test
    void badInputIsRefusedWithTheParameter() throws Exception {
        Object[][] cases = {
                {new JsonObject().put("model", "embed-mini").put("input", ""), "input"},
                {new JsonObject().put("model", "embed-mini").put("input", new JsonArray()), "input"},
                {new JsonObject().put("model", "embed-mini").put("input", new JsonArray().add("a").add(3)), "input"},
                {new JsonObject().put("model", "embed-mini").put("input", new JsonArray().add(-1)), "input[0]"},
                {new JsonObject().put("model", "embed-mini").put("input", "a").put("dimensions", 2), "dimensions"},
                {new JsonObject().put("model", "embed-mini").put("input", "a").put("encoding_format", "int8"), "encoding_format"},
                {new JsonObject().put("model", "embed-mini").put("input", "a").put("temperature", 1), "temperature"},
                {new JsonObject().put("model", "embed-not").put("input", "a"), "model"},
                {new JsonObject().put("input", "a"), "model"},
        };
        for (Object[] c : cases) {
            HttpResponse<Buffer> r = embed((JsonObject) c[0]);
            assertThat(r.statusCode()).as(c[0].toString()).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("param")).as(c[0].toString()).isEqualTo(c[1]);
        }
        assertThat(embed(new JsonObject().put("model", "no-such").put("input", "a")).statusCode()).isEqualTo(404);
    }
}
