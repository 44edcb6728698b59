-- LMaaS system of record (ARCHITECTURE.md §3). Later migrations extend; never edit a released one.

CREATE TABLE tenants (
    id          text        PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys: the public key id and an HMAC-SHA-256 of the secret under a server key; never the secret.
CREATE TABLE api_keys (
    id           text        PRIMARY KEY,
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    name         text        NOT NULL,
    secret_hash  bytea       NOT NULL,
    last4        text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- Usage ledger: exactly one row per tenant request id.
CREATE TABLE usage_ledger (
    request_id         text        PRIMARY KEY,
    tenant_id          text        NOT NULL REFERENCES tenants (id),
    key_id             text,
    model              text,
    endpoint           text        NOT NULL,
    prompt_tokens      integer     NOT NULL DEFAULT 0,
    completion_tokens  integer     NOT NULL DEFAULT 0,
    status             integer     NOT NULL,
    error_code         text,
    latency_ms         integer     NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_ledger_tenant_time_idx ON usage_ledger (tenant_id, created_at);

-- Models and their versions; owner_tenant_id null = visible to every tenant.
CREATE TABLE models (
    id               text        PRIMARY KEY,
    task             text        NOT NULL CHECK (task IN ('text-classification', 'text-generation')),
    owner_tenant_id  text        REFERENCES tenants (id),
    description      text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_versions (
    model_id      text        NOT NULL REFERENCES models (id),
    version       text        NOT NULL,
    artifact_uri  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, version)
);

-- Desired deployments (the local backend's source of desired state; Kubernetes mirrors ModelDeployments here).
CREATE TABLE deployments (
    id          text        PRIMARY KEY,
    model_id    text        NOT NULL,
    version     text        NOT NULL,
    replicas    integer     NOT NULL CHECK (replicas >= 0),
    tenant_id   text        REFERENCES tenants (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
);
CREATE INDEX deployments_model_idx ON deployments (model_id);

-- Observed endpoints, written by the scheduler, read by the gateway.
CREATE TABLE endpoints (
    deployment_id  text        NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    replica        integer     NOT NULL,
    state          text        NOT NULL CHECK (state IN ('starting', 'ready', 'failed')),
    url            text,
    pid            bigint,
    restarts       integer     NOT NULL DEFAULT 0,
    message        text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment_id, replica)
);

-- Tenant files (training and batch input), stored in the artifact store.
CREATE TABLE files (
    id            text        PRIMARY KEY,
    tenant_id     text        NOT NULL REFERENCES tenants (id),
    purpose       text        NOT NULL,
    filename      text        NOT NULL,
    bytes         bigint      NOT NULL,
    artifact_uri  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX files_tenant_idx ON files (tenant_id);

-- Jobs (fine-tuning, batch) and their event stream.
CREATE TABLE jobs (
    id           text        PRIMARY KEY,
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    kind         text        NOT NULL CHECK (kind IN ('fine_tuning', 'batch')),
    status       text        NOT NULL,
    reason       text,
    model_id     text,
    spec         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    result       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at);

CREATE TABLE job_events (
    id          bigserial   PRIMARY KEY,
    job_id      text        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    level       text        NOT NULL,
    type        text        NOT NULL,
    message     text        NOT NULL,
    data        jsonb
);
CREATE INDEX job_events_job_idx ON job_events (job_id, id);

-- Audit log: one row per mutation through the admin API.
CREATE TABLE audit_log (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text        NOT NULL,
    action       text        NOT NULL,
    target_type  text        NOT NULL,
    target_id    text        NOT NULL,
    tenant_id    text,
    details      jsonb
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, at);
