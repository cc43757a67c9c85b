-- Privacy notice versions, who accepted which, and the anonymous access statistics.

-- Every published version of the notice. `body` is the text everyone reads; `body_en` is an
-- English translation when one was published with it (the shipped notice has one).
CREATE TABLE policy_version (
    id            INTEGER PRIMARY KEY,
    label         TEXT NOT NULL UNIQUE,
    body          TEXT NOT NULL CHECK (length(body) > 0),
    body_en       TEXT,
    published_at  TEXT NOT NULL
);

-- Every acceptance, so the service can show which version an account accepted and when.
-- Erasing the account erases its acceptances with it.
CREATE TABLE policy_acceptance (
    account_id   INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    version_id   INTEGER NOT NULL REFERENCES policy_version(id),
    accepted_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, version_id)
);

-- One row per screen view. Deliberately no foreign key and no column derived from an account,
-- a connection or a booking: see store/statistics.py for why nothing here can be joined.
-- Not even a numbered id column: the hidden rowid only orders the views of a visit.
CREATE TABLE screen_view (
    date    TEXT NOT NULL,
    time    TEXT NOT NULL,
    screen  TEXT NOT NULL,
    visit   TEXT NOT NULL
);
CREATE INDEX screen_view_date ON screen_view(date, visit, screen);
