"""Staff scopes: the parts of the service a staff account may act on (SPEC: roles)."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    ACCOUNTS = "accounts"  # add, list, disable, enable, reset, erase, export, grant, revoke
    MATCHING = "matching"  # requests, match, bookings, the caseload
    POLICY = "policy"  # the privacy notice: show, publish, status
    BACKUP = "backup"  # backups and the retention task: what is kept, and for how long
    STATISTICS = "statistics"  # the anonymous access statistics
    AUDIT = "audit"  # the audit trail


ALL_SCOPES = frozenset(Scope)


def parse_scopes(joined: str | None) -> frozenset[Scope]:
    """The scopes of one account as SQLite's group_concat gives them (NULL: none)."""
    return frozenset(Scope(name) for name in joined.split(",")) if joined else frozenset()
