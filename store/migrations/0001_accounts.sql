-- Accounts of all three roles. Only what is necessary: no real name, e-mail or address.
CREATE TABLE account (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    role                  TEXT NOT NULL CHECK (role IN ('client', 'counsellor', 'admin')),
    password_hash         TEXT NOT NULL,
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    disabled              INTEGER NOT NULL DEFAULT 0,
    language              TEXT NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'en')),
    created_at            TEXT NOT NULL
);

CREATE TABLE public_key (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    key_data    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (account_id, key_data)
);
