-- The hourly roll-ups leave the request path: the ledger writer's one statement upserting them cost the
-- gateway a third of its throughput (docs/benchmarks.md). A gateway now rolls up the ledger rows past a
-- watermark every few seconds (one gateway at a time: the state row is taken FOR UPDATE SKIP LOCKED).
-- Rows written before this migration are in usage_hourly already (V6's backfill, then the writer).
CREATE TABLE usage_rollup_state (
    name       text        PRIMARY KEY,
    watermark  timestamptz NOT NULL
);
INSERT INTO usage_rollup_state (name, watermark) VALUES ('hourly', now());

-- The roll-up reads the ledger by time: a BRIN index is tiny and nearly free to maintain on an
-- append-only, time-ordered table.
CREATE INDEX usage_ledger_created_brin ON usage_ledger USING brin (created_at);
