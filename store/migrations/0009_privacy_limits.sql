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
