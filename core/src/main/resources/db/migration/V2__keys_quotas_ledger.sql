-- Keys: scopes, per-key limits, rotation with a grace period; change notifications for every gateway.
ALTER TABLE api_keys
    ADD COLUMN scopes                  jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN limits                  jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN previous_secret_hash    bytea,
    ADD COLUMN previous_valid_until    timestamptz,
    ADD COLUMN rotated_at              timestamptz;

-- Tenant limits; null = unlimited.
CREATE TABLE tenant_limits (
    tenant_id         text        PRIMARY KEY REFERENCES tenants (id),
    rpm               bigint      CHECK (rpm >= 0),
    tpm               bigint      CHECK (tpm >= 0),
    tokens_per_day    bigint      CHECK (tokens_per_day >= 0),
    tokens_per_month  bigint      CHECK (tokens_per_month >= 0),
    max_concurrent    bigint      CHECK (max_concurrent >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Budget leases: a gateway replica holds slices of a budget window and admits locally.
-- A live lease (not released, not expired) counts in full; a closed one counts what it durably used.
CREATE TABLE quota_leases (
    id           bigserial   PRIMARY KEY,
    budget       text        NOT NULL,
    gateway_id   text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount >= 0),
    used         bigint      NOT NULL DEFAULT 0,
    window_end   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    released_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quota_leases_budget_idx ON quota_leases (budget);
CREATE INDEX quota_leases_window_end_idx ON quota_leases (window_end);

-- The ledger key is the gateway's own request id; the client's x-request-id is kept beside it.
ALTER TABLE usage_ledger ADD COLUMN client_request_id text;
ALTER TABLE usage_ledger ADD COLUMN gateway_id text;

-- Daily roll-ups, maintained in the same transaction as the ledger rows.
CREATE TABLE usage_daily (
    tenant_id          text    NOT NULL,
    day                date    NOT NULL,
    key_id             text    NOT NULL,
    model              text    NOT NULL,
    requests           bigint  NOT NULL DEFAULT 0,
    errors             bigint  NOT NULL DEFAULT 0,
    prompt_tokens      bigint  NOT NULL DEFAULT 0,
    completion_tokens  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, key_id, model)
);

-- Audit rows carry the object before and after the change (never a secret).
ALTER TABLE audit_log ADD COLUMN before jsonb;
ALTER TABLE audit_log ADD COLUMN after jsonb;
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

-- Every gateway listens on these channels to drop cached keys and limits at once.
CREATE FUNCTION lmaas_notify_key_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('lmaas_keys', COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER api_keys_notify AFTER UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION lmaas_notify_key_change();

CREATE FUNCTION lmaas_notify_limits_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('lmaas_limits', COALESCE(NEW.tenant_id, OLD.tenant_id));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tenant_limits_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_limits
    FOR EACH ROW EXECUTE FUNCTION lmaas_notify_limits_change();
