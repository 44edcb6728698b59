-- A deleted tenant whose ledger is kept for billing stays as a row (the ledger's rows reference it) with its name
-- replaced and deleted_at set; nothing else of it remains. Every lookup of tenants skips deleted ones.
ALTER TABLE tenants ADD COLUMN deleted_at timestamptz;
