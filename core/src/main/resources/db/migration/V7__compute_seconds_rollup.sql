-- Jobs' worker-seconds in the daily roll-ups, so usage reports (and what tenants are billed) show them
-- beside tokens. Job rows are written by the job's worker process (ComputeMetering), which now keeps the
-- daily roll-up in the same statement; rows metered before this migration are added here.
ALTER TABLE usage_daily ADD COLUMN compute_seconds numeric(16, 3) NOT NULL DEFAULT 0;

INSERT INTO usage_daily (tenant_id, day, key_id, model, requests, errors, prompt_tokens, completion_tokens, compute_seconds)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, coalesce(key_id, ''), coalesce(model, ''), count(*),
       count(*) FILTER (WHERE status >= 400), sum(prompt_tokens), sum(completion_tokens), sum(compute_seconds)
FROM usage_ledger WHERE compute_seconds > 0 GROUP BY 1, 2, 3, 4
ON CONFLICT (tenant_id, day, key_id, model) DO UPDATE SET requests = usage_daily.requests + EXCLUDED.requests,
    errors = usage_daily.errors + EXCLUDED.errors, prompt_tokens = usage_daily.prompt_tokens + EXCLUDED.prompt_tokens,
    completion_tokens = usage_daily.completion_tokens + EXCLUDED.completion_tokens,
    compute_seconds = usage_daily.compute_seconds + EXCLUDED.compute_seconds;
