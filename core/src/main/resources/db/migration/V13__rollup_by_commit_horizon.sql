-- The hourly roll-up counted the ledger rows whose created_at was more than 5 s past a time watermark.
-- A row's created_at is its statement's start; a transaction that commits later than the lag (a slow
-- flush, a pause, a lock wait) leaves rows the watermark has already passed: counted never. The roll-up
-- now follows commit order: each row carries its writing transaction's id, and a pass takes every row
-- whose transaction id is below its snapshot's xmin (all those transactions have ended, so their rows are
-- visible to it or were rolled back) and at or past the previous pass's xmin. Each row lands in exactly
-- one pass. A transaction still open holds the roll-up back, never a row out of it.
-- (A 64-bit transaction id as bigint: BRIN has no xid8 operator class; ids never wrap at 64 bits.)
ALTER TABLE usage_ledger ADD COLUMN xact bigint;
ALTER TABLE usage_ledger ALTER COLUMN xact SET DEFAULT pg_current_xact_id()::text::bigint;
ALTER TABLE usage_rollup_state ADD COLUMN xact_watermark bigint;

-- Rows the time watermark has not reached yet are handed to the new watermark: they take this
-- migration's transaction id, which is where the new watermark starts. Older rows keep NULL (rolled up).
UPDATE usage_ledger SET xact = pg_current_xact_id()::text::bigint
 WHERE created_at > (SELECT watermark FROM usage_rollup_state WHERE name = 'hourly');
UPDATE usage_rollup_state SET xact_watermark = pg_current_xact_id()::text::bigint WHERE name = 'hourly';
ALTER TABLE usage_rollup_state ALTER COLUMN xact_watermark SET NOT NULL;
ALTER TABLE usage_rollup_state DROP COLUMN watermark;

CREATE INDEX usage_ledger_xact_brin ON usage_ledger USING brin (xact);
