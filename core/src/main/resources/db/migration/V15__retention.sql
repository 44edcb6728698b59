-- Per-tenant retention of files (issue 16): how long uploaded files and batch outputs are kept (null: until deleted),
-- and zero retention (training files go when their job ends, batch outputs once downloaded or a day old). A sweeper
-- in the gateway enforces it. downloaded_at: when a file's content was first fetched.
CREATE TABLE tenant_retention (
    tenant_id           text        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    files_days          integer     CHECK (files_days > 0),
    batch_outputs_days  integer     CHECK (batch_outputs_days > 0),
    zero_retention      boolean     NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE files ADD COLUMN downloaded_at timestamptz;
