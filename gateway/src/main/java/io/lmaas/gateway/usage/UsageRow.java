package io.lmaas.gateway.usage;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/** One row of the usage ledger: one tenant request. */
public record UsageRow(String requestId, String tenantId, String keyId, String model, String endpoint, int promptTokens,
        int completionTokens, int status, String errorCode, long latencyMs, OffsetDateTime createdAt) {

    public JsonObject toJson() {
        return new JsonObject()
                .put("request_id", requestId)
                .put("key_id", keyId)
                .put("model", model)
                .put("endpoint", endpoint)
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens)
                .put("status", status)
                .put("error_code", errorCode)
                .put("latency_ms", latencyMs)
                .put("created_at", createdAt == null ? null : createdAt.toEpochSecond());
    }
}
