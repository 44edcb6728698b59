package io.lmaas.gateway.usage;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * One row of the usage ledger: one tenant request. {@code requestId} is the gateway's own id (the ledger
 * key); {@code clientRequestId} is the {@code x-request-id} the client sent, if any.
 */
public record UsageRow(String requestId, String clientRequestId, String gatewayId, String tenantId, String keyId, String model,
        String endpoint, int promptTokens, int completionTokens, int status, String errorCode, long latencyMs,
        OffsetDateTime createdAt, double computeSeconds) {

    /** A request's row (no compute time: jobs meter theirs). */
    public UsageRow(String requestId, String clientRequestId, String gatewayId, String tenantId, String keyId, String model,
            String endpoint, int promptTokens, int completionTokens, int status, String errorCode, long latencyMs,
            OffsetDateTime createdAt) {
        this(requestId, clientRequestId, gatewayId, tenantId, keyId, model, endpoint, promptTokens, completionTokens, status,
                errorCode, latencyMs, createdAt, 0);
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("request_id", requestId)
                .put("client_request_id", clientRequestId)
                .put("key_id", keyId)
                .put("model", model)
                .put("endpoint", endpoint)
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens)
                .put("status", status)
                .put("error_code", errorCode)
                .put("latency_ms", latencyMs)
                .put("compute_seconds", computeSeconds)
                .put("created_at", createdAt == null ? null : createdAt.toEpochSecond());
    }
}
