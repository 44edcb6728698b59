-- Encryption at rest (docs/decisions/0022): one data key per tenant, stored only wrapped (AES-256-GCM) by the master
-- key whose id is recorded; the artifact store holds the tenant's artifacts encrypted with it. Deleting the row destroys
-- the key: any copy of the tenant's artifacts left anywhere is unreadable.
CREATE TABLE tenant_data_keys (
    id             text        PRIMARY KEY CHECK (length(id) = 24),
    tenant_id      text        NOT NULL UNIQUE REFERENCES tenants (id),
    master_key_id  text        NOT NULL,
    wrapped        bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    rewrapped_at   timestamptz
);
