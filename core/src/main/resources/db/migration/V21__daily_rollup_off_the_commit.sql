-- The daily roll-ups leave the ledger's commit. Every group commit of every gateway replica upserted the same
-- usage_daily row (a tenant's key and model for the day), so the replicas' commits queued on its row lock, held
-- through each commit's WAL flush: measured with pgbench (PostgreSQL 17, fsync and synchronous commit on, 18-row
-- groups), three writers did ~870-1,040 commits/s with it and ~1,730 without it (docs/benchmarks.md).
-- usage_daily is a report table (quota admission reads leases, not roll-ups), so a roll-up pass like the one that keeps
-- usage_hourly now keeps it, from the ledger rows past a watermark, and usage reports add the rows the
-- pass has not reached yet (exact at any moment).
-- A row's daily roll-up is the pass's only when its writer says so: rows written before this migration, or by a
-- replica still running the previous version during a rolling upgrade, were added to usage_daily by their own
-- statement and keep false, so nothing is counted twice. Job rows (ComputeMetering) also keep false: their
-- statement adds their compute seconds to usage_daily itself.
-- A constant default: no table rewrite.
ALTER TABLE usage_ledger ADD COLUMN daily_by_pass boolean NOT NULL DEFAULT false;

-- The daily pass has a watermark of its own: a replica still running the previous version moves the hourly one
-- without adding rows to usage_daily. It starts where the hourly one is now; every row the pass will count is
-- written after this migration, past it.
INSERT INTO usage_rollup_state (name, xact_watermark)
SELECT 'daily', xact_watermark FROM usage_rollup_state WHERE name = 'hourly';
