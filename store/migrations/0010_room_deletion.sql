-- A ward room whose deletion has begun: its key copies are destroyed and the erasure is in the
-- ledger, so every reader treats it as gone while its messages are deleted in short
-- transactions (other writers wait for one batch, not for the whole room). A room still
-- marked after a crash is finished by the next retention run.
ALTER TABLE booking ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0 CHECK (deleting IN (0, 1));
