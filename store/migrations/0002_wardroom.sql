-- Requests (Anliegen), bookings, one ward room per booking, its messages, and read markers.

-- NULL means "not chosen": the default window (56 days) applies.
ALTER TABLE account ADD COLUMN retention_days INTEGER CHECK (retention_days IN (14, 21, 56));

CREATE TABLE booking (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    -- A counsellor with bookings cannot be deleted: disable the account instead.
    counsellor_id  INTEGER NOT NULL REFERENCES account(id),
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    ended_early    INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX booking_client ON booking(client_id);
CREATE INDEX booking_counsellor ON booking(counsellor_id);
CREATE INDEX booking_ends ON booking(ends_at);

CREATE TABLE request (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'matched', 'withdrawn')),
    created_at  TEXT NOT NULL,
    booking_id  INTEGER REFERENCES booking(id) ON DELETE SET NULL
);
CREATE INDEX request_client ON request(client_id);

CREATE TABLE message (
    id           INTEGER PRIMARY KEY,
    booking_id   INTEGER NOT NULL REFERENCES booking(id) ON DELETE CASCADE,
    sender_id    INTEGER REFERENCES account(id) ON DELETE SET NULL,
    sender_role  TEXT NOT NULL CHECK (sender_role IN ('client', 'counsellor')),
    sent_at      TEXT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX message_room ON message(booking_id, id);

CREATE TABLE room_read (
    account_id       INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    booking_id       INTEGER NOT NULL REFERENCES booking(id) ON DELETE CASCADE,
    last_message_id  INTEGER NOT NULL,
    PRIMARY KEY (account_id, booking_id)
);

-- Staff actions: who, what, when, which ids. Never message text, never passwords.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_ids  TEXT NOT NULL DEFAULT ''
);
