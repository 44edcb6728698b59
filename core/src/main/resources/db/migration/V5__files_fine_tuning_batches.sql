-- Files, fine-tuning and batch jobs.

-- What a file holds, as validated at upload: its JSONL format and line count.
ALTER TABLE files
    ADD COLUMN format  text,
    ADD COLUMN lines   integer NOT NULL DEFAULT 0;

-- Checkpoints a training job wrote (a servable model version directory each), newest last.
CREATE TABLE job_checkpoints (
    id            bigserial   PRIMARY KEY,
    job_id        text        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    epoch         integer     NOT NULL,
    step          integer     NOT NULL,
    artifact_uri  text        NOT NULL,
    metrics       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, epoch)
);

-- Worker-seconds of jobs, metered into the same ledger as tokens.
ALTER TABLE usage_ledger ADD COLUMN compute_seconds numeric(12, 3) NOT NULL DEFAULT 0;

-- A tenant's fine-tuning budget per calendar month, in worker-seconds (null: unlimited).
ALTER TABLE gpu_queues ADD COLUMN fine_tuning_seconds_per_month bigint CHECK (fine_tuning_seconds_per_month >= 0);
