-- Hourly roll-ups for the console's overview (requests, tokens, errors, latency over time), maintained
-- by the gateway's ledger writer in the same statement as the ledger rows, like usage_daily.
CREATE TABLE usage_hourly (
    tenant_id          text        NOT NULL,
    hour               timestamptz NOT NULL,
    model              text        NOT NULL,
    requests           bigint      NOT NULL DEFAULT 0,
    errors             bigint      NOT NULL DEFAULT 0,
    prompt_tokens      bigint      NOT NULL DEFAULT 0,
    completion_tokens  bigint      NOT NULL DEFAULT 0,
    latency_ms_sum     bigint      NOT NULL DEFAULT 0,
    latency_ms_max     integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, hour, model)
);
CREATE INDEX usage_hourly_hour_idx ON usage_hourly (hour);

INSERT INTO usage_hourly (tenant_id, hour, model, requests, errors, prompt_tokens, completion_tokens, latency_ms_sum, latency_ms_max)
SELECT tenant_id, date_trunc('hour', created_at), coalesce(model, ''), count(*), count(*) FILTER (WHERE status >= 400),
       sum(prompt_tokens), sum(completion_tokens), sum(coalesce(latency_ms, 0)), max(coalesce(latency_ms, 0))
FROM usage_ledger GROUP BY 1, 2, 3;
