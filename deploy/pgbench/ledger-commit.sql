-- One 18-row group commit as the ledger writer makes it since V21: rows and lease use; the daily roll-up is the
-- roll-up pass's. Setup and commands: docs/benchmarks.md, "The daily roll-ups leave the commit".
\set lease 1 + :client_id
WITH ins AS (INSERT INTO usage_ledger (request_id, client_request_id, gateway_id, tenant_id, key_id, model, endpoint, prompt_tokens, completion_tokens, status, error_code, latency_ms) SELECT 'r'||lpad(nextval('rid')::text,19,'0'), null, 'gw', 'tn-a', 'key-a', 'm', '/v1/classify', 10, 0, 200, null, 1 FROM generate_series(1,18) RETURNING 1), inserted AS (SELECT count(*) FROM ins), leases AS (UPDATE quota_leases q SET used = q.used + d.amount FROM unnest(array[:lease::bigint], array[180::bigint]) AS d(id, amount), inserted WHERE q.id = d.id) SELECT 1;
