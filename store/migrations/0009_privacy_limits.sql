-- Staff scopes, and what the storage limits need to know.

-- Which parts of the service a staff account may act on. Accounts that were staff before
-- scopes existed keep every scope, so an upgrade locks nobody out; new staff accounts made
-- with `admin user add` start with none and are granted what they need.
CREATE TABLE staff_scope (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    scope       TEXT NOT NULL CHECK (scope IN ('accounts', 'matching', 'policy', 'backup',
                                               'statistics', 'audit')),
    PRIMARY KEY (account_id, scope)
);
INSERT INTO staff_scope (account_id, scope)
    SELECT a.id, s.scope FROM account a,
        (SELECT 'accounts' AS scope UNION ALL SELECT 'matching' UNION ALL SELECT 'policy'
         UNION ALL SELECT 'backup' UNION ALL SELECT 'statistics' UNION ALL SELECT 'audit') s
    WHERE a.role = 'admin';

-- Access statistics to the hour, not the minute (a minute lined a visit up with the seconds
-- other tables keep), and the rarely seen screens as counts per day without a visit id.
CREATE TABLE screen_view_by_hour (
    date    TEXT NOT NULL,
    hour    INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    screen  TEXT NOT NULL,
    visit   TEXT NOT NULL
);
CREATE TABLE rare_screen_count (
    date    TEXT NOT NULL,
    screen  TEXT NOT NULL,
    views   INTEGER NOT NULL,
    PRIMARY KEY (date, screen)
);
INSERT INTO rare_screen_count (date, screen, views)
    SELECT date, screen, count(*) FROM screen_view
    WHERE screen IN ('register', 'register_notice', 'objection', 'password_change', 'lock',
                     'totp_setup')
    GROUP BY date, screen;
INSERT INTO screen_view_by_hour (date, hour, screen, visit)
    SELECT date, CAST(substr(time, 1, 2) AS INTEGER), screen, visit FROM screen_view
    WHERE screen NOT IN ('register', 'register_notice', 'objection', 'password_change', 'lock',
                         'totp_setup')
    ORDER BY rowid;
DROP TABLE screen_view;
ALTER TABLE screen_view_by_hour RENAME TO screen_view;
CREATE INDEX screen_view_date ON screen_view(date, visit, screen);

-- Storage limits beyond the ward rooms.
-- The month of the last login: a client account without booking and login for
-- inactive_client_months is erased. Accounts from before count from the upgrade.
ALTER TABLE account ADD COLUMN active_month TEXT;
UPDATE account SET active_month = strftime('%Y-%m', 'now');
-- A withdrawn request is deleted now, not kept with a status.
DELETE FROM request WHERE status = 'withdrawn';
-- The ledger records deleted requests too, so a restore deletes them again.
CREATE TABLE erasure_ledger_new (
    seq        INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('room', 'account', 'request')),
    target_id  INTEGER NOT NULL,
    at         TEXT NOT NULL
);
INSERT INTO erasure_ledger_new (seq, kind, target_id, at)
    SELECT seq, kind, target_id, at FROM erasure_ledger ORDER BY seq;
DROP TABLE erasure_ledger;
ALTER TABLE erasure_ledger_new RENAME TO erasure_ledger;
CREATE INDEX erasure_ledger_at ON erasure_ledger(at);
