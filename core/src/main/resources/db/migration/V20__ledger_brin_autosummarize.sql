-- The hourly roll-up finds the ledger rows written since its last pass through the BRIN index on xact. A BRIN
-- index only knows the page ranges it has summarized; every range filled since the last VACUUM is unsummarized,
-- and an index scan must read all of it. Autovacuum comes after 20 % of the table's size in inserts, so each pass
-- (every 2 s) read every row written since the last vacuum: up to a fifth of the ledger, growing with it. Measured on
-- a 2.8-million-row ledger taking ~800 rows/s: 33-55 ms a pass; one such scan read ~2,500 pages (~190,000 rows) to
-- find ~9,800.
-- With autosummarize, a range is summarized as soon as inserts move past it, so a pass reads the range being
-- filled and the one its watermark is in (10-14 ms there). The same for created_at (usage reports by time).
-- Neither statement blocks ledger inserts; the summarize calls read only the ranges not yet summarized.
ALTER INDEX usage_ledger_xact_brin SET (autosummarize = on);
ALTER INDEX usage_ledger_created_brin SET (autosummarize = on);
SELECT brin_summarize_new_values('usage_ledger_xact_brin');
SELECT brin_summarize_new_values('usage_ledger_created_brin');
