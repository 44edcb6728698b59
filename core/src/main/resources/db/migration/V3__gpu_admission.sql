-- GPU admission (scheduler): tenants' GPU queues, and what jobs ask for and were given.

-- A tenant's claim on GPUs (after Kueue's ClusterQueue): nominal quota and borrowing limit per flavor,
-- the cohort that lends idle quota among its members, and a weight for fair sharing.
CREATE TABLE gpu_queues (
    tenant_id        text        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    weight           integer     NOT NULL DEFAULT 1 CHECK (weight > 0),
    cohort           text,
    nominal          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    borrowing_limit  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE jobs
    ADD COLUMN priority         integer NOT NULL DEFAULT 0,
    ADD COLUMN gpu_flavors      text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN gpus             integer NOT NULL DEFAULT 0 CHECK (gpus >= 0),
    ADD COLUMN admitted_flavor  text,
    ADD COLUMN admitted_at      timestamptz,
    ADD COLUMN attempt          integer NOT NULL DEFAULT 0;
CREATE INDEX jobs_status_idx ON jobs (status) WHERE status IN ('queued', 'running');
