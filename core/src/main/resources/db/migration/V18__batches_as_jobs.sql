-- Batches are scheduled jobs (issue 18): their rows take the scheduler's statuses. The OpenAI status a batch shows is
-- read from the job's status and its result's timestamps. A batch a gateway was running restarts from its first line
-- under a batch worker (the gateways' runner kept no chunks).
UPDATE jobs SET status = CASE status
        WHEN 'validating' THEN 'queued'
        WHEN 'in_progress' THEN 'queued'
        WHEN 'finalizing' THEN 'queued'
        WHEN 'cancelling' THEN 'queued'
        WHEN 'completed' THEN 'succeeded'
        ELSE status END,
    result = CASE WHEN status IN ('validating', 'in_progress', 'finalizing')
        THEN coalesce(result, '{}'::jsonb) - 'runner' - 'in_progress_at' - 'finalizing_at' - 'request_counts'
        ELSE result END,
    priority = CASE WHEN status IN ('validating', 'in_progress', 'finalizing', 'cancelling') THEN -100 ELSE priority END
WHERE kind = 'batch';
