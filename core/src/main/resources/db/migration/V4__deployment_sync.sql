-- Deployments on Kubernetes: GPUs per replica, and what the admin API changed that the scheduler has yet
-- to write into the ModelDeployment resource (desired_revision > synced_revision), or to delete (deleting).
-- Rows the scheduler mirrors from kubectl-made resources have desired_revision = synced_revision.
ALTER TABLE deployments
    ADD COLUMN gpu_count        integer CHECK (gpu_count >= 0),
    ADD COLUMN gpu_flavor       text,
    ADD COLUMN desired_revision bigint  NOT NULL DEFAULT 0,
    ADD COLUMN synced_revision  bigint  NOT NULL DEFAULT 0,
    ADD COLUMN deleting         boolean NOT NULL DEFAULT false;
