package io.lmaas.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API document ({@code GET /openapi.json}) and the gateway's routers cannot drift: every operation the
 * routers serve is documented, and every documented operation is served; every schema it points to exists.
 */
class OpenApiDocumentTest {
    /** Served but not API: the console's redirect to its own page. */
    private static final Set<String> NOT_API = Set.of("GET /console");
    private static Gateways gateways;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(1, QuotaService.Settings.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.close();
    }

    private static JsonObject document() throws Exception {
        var response = gateways.call(0, HttpMethod.GET, "/openapi.json", null, null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.getHeader("content-type")).startsWith("application/json");
        return response.bodyAsJsonObject();
    }

    @Test
    void everyServedOperationIsDocumentedAndEveryDocumentedOneServed() throws Exception {
        JsonObject doc = document();
        assertThat(doc.getString("openapi")).isEqualTo("3.1.0");
        Set<String> documented = new TreeSet<>();
        doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).fieldNames()
                .forEach(m -> documented.add(m.toUpperCase() + " " + p.getKey())));
        Set<String> served = new TreeSet<>(io.lmaas.core.api.RouteTable.operations(gateways.router(0)));
        served.removeAll(NOT_API);
        assertThat(served).as("served, not documented").isSubsetOf(documented);
        assertThat(documented).as("documented, not served").isSubsetOf(served);
    }

    @Test
    void everyOperationHasAnIdErrorsAndResolvableSchemas() throws Exception {
        JsonObject doc = document();
        JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
        Set<String> ids = new TreeSet<>();
        doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).forEach(m -> {
            JsonObject op = (JsonObject) m.getValue();
            assertThat(ids.add(op.getString("operationId"))).as("unique operationId %s", op.getString("operationId")).isTrue();
            assertThat(op.getJsonObject("responses").getJsonObject("default").encode()).contains("#/components/schemas/Error");
        }));
        for (String ref : refs(doc, new TreeSet<>())) {
            assertThat(schemas.containsKey(ref.substring("#/components/schemas/".length()))).as(ref).isTrue();
        }
    }

    @Test
    void everyJsonBodyIsCheckedAgainstItsSchemaBeforeTheRouteRuns() throws Exception {
        assertThat(RequestSchemas.API.attached()).as("operations whose body schema no route checks")
                .containsExactlyInAnyOrderElementsOf(RequestSchemas.API.operations());
        String tenant = gateways.tenant("schema-co");
        String key = gateways.key(tenant);
        record Case(String path, String body, String code, String param) {
        }
        for (Case c : java.util.List.of(
                new Case("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                        "missing_required_parameter", "model"),
                new Case("/v1/chat/completions", "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": 7}]}",
                        "invalid_value", "messages[0].content"),
                new Case("/v1/completions", "{\"model\": \"m\", \"prompt\": \"p\", \"temperature\": \"hot\"}",
                        "invalid_value", "temperature"),
                new Case("/v1/embeddings", "{\"model\": \"m\", \"input\": [\"a\", -1]}", "invalid_value", "input[1]"),
                new Case("/v1/fine_tuning/jobs", "{\"model\": \"m\", \"training_file\": \"f\", \"hyperparameters\": {\"n_epochs\": 0}}",
                        "invalid_value", "hyperparameters.n_epochs"))) {
            var r = gateways.call(0, HttpMethod.POST, c.path(), key, c.body());
            assertThat(r.statusCode()).as(c.path() + " " + c.body() + ": " + r.bodyAsString()).isEqualTo(400);
            JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("code")).as(r.bodyAsString()).isEqualTo(c.code());
            assertThat(error.getString("param")).as(r.bodyAsString()).isEqualTo(c.param());
        }
        // Authorization first: a platform-wide change from a tenant's key is refused before its body is looked at.
        assertThat(gateways.call(0, HttpMethod.POST, "/admin/v1/tenants", key, "{\"name\": 5}").statusCode()).isEqualTo(401);
    }

    private static Set<String> refs(Object node, Set<String> out) {
        if (node instanceof JsonObject o) {
            o.forEach(e -> {
                if (e.getKey().equals("$ref")) {
                    out.add((String) e.getValue());
                } else {
                    refs(e.getValue(), out);
                }
            });
        } else if (node instanceof io.vertx.core.json.JsonArray a) {
            a.forEach(v -> refs(v, out));
        }
        return out;
    }
}
