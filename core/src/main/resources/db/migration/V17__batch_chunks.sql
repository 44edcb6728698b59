-- A batch runs as a workload of its own (issue 18) and commits its lines a chunk at a time: each chunk's ledger rows,
-- its use of the tenant's and key's token budgets and the batch's progress in one transaction, conditional on the
-- attempt and on the progress it started from, so a line is committed once whatever attempt ran it. A chunk row says
-- which attempt's sealed chunk file holds the answers and which answers the budgets refused (their lines become
-- quota_exceeded errors when the output files are assembled).
CREATE TABLE batch_chunks (
    job_id      text        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    first_line  integer     NOT NULL CHECK (first_line >= 0),
    lines       integer     NOT NULL CHECK (lines > 0),
    attempt     integer     NOT NULL,
    refused     integer[]   NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, first_line)
);
