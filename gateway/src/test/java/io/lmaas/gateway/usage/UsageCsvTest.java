package io.lmaas.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class UsageCsvTest {
    @Test
    void groupedReportsAndRowsBecomeQuotedCsv() {
        JsonObject report = new JsonObject().put("data", new JsonArray()
                .add(new JsonObject().put("model", "ft:base:t-1:x,y").put("requests", 3).put("errors", 0).put("prompt_tokens", 10)
                        .put("completion_tokens", 5).put("total_tokens", 15))
                .add(new JsonObject().put("model", "=HYPERLINK(\"x\")").put("requests", 1).put("errors", 1).put("prompt_tokens", 0)
                        .put("completion_tokens", 0).put("total_tokens", 0)));
        assertThat(UsageCsv.render(report, "model")).isEqualTo("model,requests,errors,prompt_tokens,completion_tokens,total_tokens,compute_seconds\r\n"
                + "\"ft:base:t-1:x,y\",3,0,10,5,15,\r\n"
                + "\"'=HYPERLINK(\"\"x\"\")\",1,1,0,0,0,\r\n");
        assertThat(UsageCsv.render(new JsonObject().put("data", new JsonArray().add(new JsonObject().put("key_id", "k1")
                .put("requests", 2))), "key")).startsWith("key_id,requests").contains("k1,2,,,,,");
        assertThat(UsageCsv.render(new JsonObject().put("data", new JsonArray().add(new JsonObject().put("request_id", "r1")
                .put("status", 200).put("latency_ms", -1))), null)).contains("r1,,,,,200,,,,-1,");
    }
}
