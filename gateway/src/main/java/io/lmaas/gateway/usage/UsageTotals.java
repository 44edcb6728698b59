package io.lmaas.gateway.usage;

import io.vertx.core.json.JsonObject;

/** Sums over a tenant's usage rows. */
public record UsageTotals(long requests, long promptTokens, long completionTokens) {

    public JsonObject toJson() {
        return new JsonObject()
                .put("requests", requests)
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }
}
