-- The erasure ledger: every room deletion and account erasure as (kind, id, time) and nothing
-- else, so a restore from an older backup can replay the deletions that came after it.
CREATE TABLE erasure_ledger (
    seq        INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('room', 'account')),
    target_id  INTEGER NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX erasure_ledger_at ON erasure_ledger(at);
