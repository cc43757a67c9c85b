-- Second factor: one TOTP secret per enrolled account, and its one-use recovery codes.

CREATE TABLE second_factor (
    account_id   INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
    -- base32 TOTP secret; a code's time step is accepted once (last_step), so a code seen
    -- over someone's shoulder cannot be replayed within its 30 s window.
    secret       TEXT NOT NULL,
    last_step    INTEGER NOT NULL DEFAULT 0,
    enrolled_at  TEXT NOT NULL
);

-- A recovery code is shown once and kept only as an argon2 hash. The selector (its first
-- group) finds the one row to verify, so a guess costs one hash, not one per code.
CREATE TABLE recovery_code (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    selector    TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    UNIQUE (account_id, selector)
);
