-- Sealed ward rooms (docs/security-model.md): account key pairs, room keys sealed to them, and
-- message text only as ciphertext.

-- An account's X25519 key pair. The private half exists only sealed: under the password's
-- sealing key and, for clients, under the recovery code. A staff password reset retires the
-- pair (its password seal is wiped; a client's recovery seal stays, so the code can still
-- reopen the rooms sealed to it) and makes a new one. One active pair per account.
CREATE TABLE account_key (
    id                   INTEGER PRIMARY KEY,
    account_id           INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    public_key           BLOB NOT NULL,
    sealed_by_password   BLOB,
    sealed_by_recovery   BLOB,
    -- The recovery code itself, sealed to this pair's public key: shown again in the profile.
    recovery_code_sealed BLOB,
    -- 0 until the code has been shown once (at registration or the first login).
    recovery_code_shown  INTEGER NOT NULL DEFAULT 1,
    -- A date, not a time: enough to tell the person when staff reset their access.
    created_on           TEXT NOT NULL,
    reset_by_staff       INTEGER NOT NULL DEFAULT 0,
    retired_on           TEXT
);
CREATE UNIQUE INDEX account_key_active ON account_key(account_id) WHERE retired_on IS NULL;

-- One copy of a room's key per participant key pair, sealed to it (HPKE). Booking end deletes
-- the counsellor's copy; deleting a room deletes every copy before its messages.
CREATE TABLE room_key (
    booking_id  INTEGER NOT NULL REFERENCES booking(id) ON DELETE CASCADE,
    key_id      INTEGER NOT NULL REFERENCES account_key(id) ON DELETE CASCADE,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (booking_id, key_id)
);
CREATE INDEX room_key_by_key ON room_key(key_id);

-- nonce || AES-GCM ciphertext of the text. `body` keeps the text only for rows written before
-- sealing, until a participant's next login seals them and empties it.
ALTER TABLE message ADD COLUMN sealed BLOB;
